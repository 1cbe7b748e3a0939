// A ticket export's lines, written by PostgreSQL: each row of the cursor is one finished CSV or
// JSON line, so the server handles one string per ticket instead of a parsed row with its Dates,
// the Ticket built from it and the encoder's intermediates. That garbage is what made a server's
// first large export grow its heap (and RSS) for good; the database writes the same text in C.
// The cells are what csv-stringify writes (src/core/export-format.ts, still used for the trail),
// the JSON line is toTicket's document (src/modules/tickets/representation.ts);
// test/exports.test.ts holds them to both.
import { Prisma } from "../../generated/prisma/client.ts";
import type { ExportFormat } from "../../core/export-format.ts";

/** A timestamp as Date.toISOString() writes it: UTC, milliseconds, Z. */
const iso = (value: string) => `to_char(${value} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** A cell that holds a UUID, a number, an enum value or a timestamp: never quoted, never a formula. */
const plain = (value: string) => `coalesce((${value})::text, '')`;

/**
 * A free-text cell as csv-stringify writes it with escape_formulas: a leading = + - @ tab or
 * carriage return (or their full-width forms) gets a ' so a spreadsheet shows text instead of
 * running a formula (OWASP's CSV injection); a cell holding a quote, comma or line break is quoted,
 * its quotes doubled. NULL and empty write an empty cell.
 */
function text(value: string): string {
  const escaped = String.raw`regexp_replace(${value}, '^([=+@\t\r＝＋－＠-])', '''\1')`;
  return String.raw`CASE WHEN ${value} ~ '[",\r\n]' THEN '"' || replace(${escaped}, '"', '""') || '"' ELSE coalesce(${escaped}, '') END`;
}

/** The CSV columns, in order: the header row, and how the row `t` fills each cell. */
const CSV_CELLS: ReadonlyArray<readonly [header: string, cell: string]> = [
  ["id", plain("t.id")],
  ["number", plain("t.number")],
  ["title", text("t.title")],
  ["description", text("t.description")],
  ["status", plain("t.status")],
  ["priority", plain("t.priority")],
  ["type", plain("t.type")],
  ["channel", plain("t.channel")],
  ["requesterId", plain(`t."requesterId"`)],
  ["assigneeId", plain(`t."assigneeId"`)],
  ["tags", text("array_to_string(t.tags, ',')")],
  ["dueAt", plain(iso(`t."dueAt"`))],
  ["createdAt", plain(iso(`t."createdAt"`))],
  ["updatedAt", plain(iso(`t."updatedAt"`))],
  ["firstResponseAt", plain(iso(`t."firstResponseAt"`))],
  ["solvedAt", plain(iso(`t."solvedAt"`))],
  ["closedAt", plain(iso(`t."closedAt"`))],
  ["deletedAt", plain(iso(`t."deletedAt"`))],
  ["metadata", text("t.metadata::text")],
];

export const TICKET_CSV_HEADER: readonly string[] = CSV_CELLS.map(([header]) => header);

/** A Ticket as the API shows it (toTicket), field for field and in its order. */
const JSON_LINE = `json_build_object(
  'id', t.id, 'number', t.number, 'title', t.title, 'description', t.description, 'status', t.status,
  'priority', t.priority, 'type', t.type, 'channel', t.channel, 'requesterId', t."requesterId",
  'assigneeId', t."assigneeId", 'groupId', t."groupId", 'tags', t.tags, 'dueAt', ${iso(`t."dueAt"`)},
  'metadata', t.metadata, 'version', t.version, 'createdAt', ${iso(`t."createdAt"`)},
  'updatedAt', ${iso(`t."updatedAt"`)}, 'firstResponseAt', ${iso(`t."firstResponseAt"`)},
  'solvedAt', ${iso(`t."solvedAt"`)}, 'closedAt', ${iso(`t."closedAt"`)}, 'deletedAt', ${iso(`t."deletedAt"`)})::text`;

/** The select list of a ticket export in `format`: one column, `line`, the row's finished line (without its newline). */
export function ticketLine(format: ExportFormat): Prisma.Sql {
  return Prisma.raw(`${format === "csv" ? `concat_ws(',', ${CSV_CELLS.map(([, cell]) => cell).join(", ")})` : JSON_LINE} AS line`);
}
