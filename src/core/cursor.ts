// Opaque pagination cursors: base64url JSON of the sort key of the last row returned. Opaque so
// clients never build them; every part is checked against its expected kind on the way back in,
// and against what the column it is compared with can hold, so a malformed, tampered or foreign
// cursor is a clean 400, never a failed SQL cast.
import { BIGINT_MAX, isDateTime, isStorableText, isUuid } from "./formats.ts";
import { problems } from "./problem.ts";

/** What each part of a cursor must be. */
export type CursorPart = "string" | "number" | "uuid" | "timestamp" | "integer";
type Decoded<T extends readonly CursorPart[]> = { [K in keyof T]: T[K] extends "number" ? number : string };

/** Numbers in cursors are compared with integer or real columns: both hold this range. */
const NUMBER_LIMIT = 2 ** 31 - 1;

function isPart(value: unknown, kind: CursorPart): boolean {
  switch (kind) {
    case "string":
      return typeof value === "string" && isStorableText(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value) && Math.abs(value) <= NUMBER_LIMIT;
    case "uuid":
      return typeof value === "string" && isUuid(value);
    case "timestamp":
      return typeof value === "string" && isDateTime(value);
    case "integer": // bigint sequence numbers and transaction ids, as decimal strings
      return typeof value === "string" && /^\d{1,19}$/.test(value) && BigInt(value) <= BIGINT_MAX;
  }
}

export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

export function decodeCursor<T extends readonly CursorPart[]>(cursor: string | undefined, shape: T): Decoded<T> | undefined {
  if (cursor === undefined) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== shape.length || key.some((part, i) => !isPart(part, shape[i]!))) {
    throw problems.invalidParameter("cursor", "is not a cursor this list issued; pass nextCursor from the previous page");
  }
  return key as Decoded<T>;
}

/** Takes one row more than the page to know whether another page follows. */
export function page<T>(rows: T[], limit: number, keyOf: (row: T) => readonly (string | number)[]): { data: T[]; nextCursor: string | null } {
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return { data, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}

/**
 * Keyset pagination on (createdAt, id) for Prisma lists: the filter for "after the cursor", the
 * matching order, and the page with its next cursor.
 */
export function createdAtKeyset(cursor: string | undefined, direction: "asc" | "desc") {
  const after = decodeCursor(cursor, ["timestamp", "uuid"] as const);
  const beyond = direction === "desc" ? "lt" : "gt";
  return {
    where: after ? { OR: [{ createdAt: { [beyond]: new Date(after[0]) } }, { createdAt: new Date(after[0]), id: { [beyond]: after[1] } }] } : {},
    orderBy: [{ createdAt: direction }, { id: direction }],
    page: <T extends { createdAt: Date; id: string }>(rows: T[], limit: number) => page(rows, limit, (row) => [row.createdAt.toISOString(), row.id]),
  };
}
