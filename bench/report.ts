// Plain-text tables: fixed-width columns, numbers right-aligned.

export type Cell = string | number;

function show(cell: Cell): string {
  if (typeof cell === "string") return cell;
  if (!Number.isFinite(cell)) return "-";
  if (Number.isInteger(cell)) return cell.toLocaleString("en-US");
  return cell >= 100 ? Math.round(cell).toLocaleString("en-US") : cell.toFixed(cell >= 10 ? 1 : 2);
}

export function table(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = [header, ...rows.map((row) => row.map(show))];
  const widths = header.map((_, i) => Math.max(...text.map((row) => (row[i] ?? "").length)));
  const numeric = header.map((_, i) => rows.every((row) => typeof row[i] === "number" || row[i] === "-"));
  const line = (row: readonly string[]) =>
    row.map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(text[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...text.slice(1).map(line)].join("\n");
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
