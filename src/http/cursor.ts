// Opaque pagination cursors: base64url JSON of the sort key of the last row returned. Opaque so
// clients never build them, versioned by shape so a malformed or foreign one is a clean 400.
import { problems } from "./problem.ts";

export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

export function decodeCursor<T extends readonly ("string" | "number")[]>(cursor: string | undefined, shape: T): { [K in keyof T]: T[K] extends "number" ? number : string } | undefined {
  if (cursor === undefined) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== shape.length || key.some((part, i) => typeof part !== shape[i])) {
    throw problems.invalidParameter("cursor", "is not a cursor this list issued; pass nextCursor from the previous page");
  }
  return key as { [K in keyof T]: T[K] extends "number" ? number : string };
}

/** Takes one row more than the page to know whether another page follows. */
export function page<T>(rows: T[], limit: number, keyOf: (row: T) => readonly (string | number)[]): { data: T[]; nextCursor: string | null } {
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return { data, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
