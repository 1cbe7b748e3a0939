// Recognising database errors the services turn into 4xx problems.
import { Prisma } from "../generated/prisma/client.ts";

/** A unique constraint failed (Prisma P2002), optionally on a given column. */
export function isUniqueViolation(error: unknown, column?: string): boolean {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError) || error.code !== "P2002") return false;
  if (column === undefined) return true;
  return JSON.stringify(error.meta ?? {}).includes(column);
}

/**
 * The database could not take the work in time: every connection busy (Prisma could not start a
 * transaction within its wait, P2028/P2024; node-postgres timed out waiting for a connection).
 * Worth a 503 and a retry, not a 500.
 */
export function isDatabaseBusy(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientKnownRequestError && (error.code === "P2028" || error.code === "P2024")) return true;
  return error instanceof Error && /timeout exceeded when trying to connect/i.test(error.message);
}

/**
 * PostgreSQL refused a value itself (SQLSTATE class 22, data exception: bad text encoding,
 * malformed uuid, out-of-range date or number, too long for its column), whether node-postgres
 * raised it or Prisma wrapped it (P2000/P2007/P2020/P2023, or any request error carrying the
 * driver's SQLSTATE), directly or as the cause of another error. The value came from the request:
 * the edge should have refused it, and this is the net when it did not.
 */
export function isDataException(error: unknown): boolean {
  for (let at = error, depth = 0; at instanceof Error && depth < 4; at = at.cause, depth++) {
    if (at instanceof Prisma.PrismaClientKnownRequestError) {
      if (["P2000", "P2007", "P2020", "P2023"].includes(at.code)) return true;
      const meta = at.meta as { code?: unknown; driverAdapterError?: { cause?: { originalCode?: unknown; code?: unknown } } } | undefined;
      const cause = meta?.driverAdapterError?.cause;
      if ([meta?.code, cause?.originalCode, cause?.code].some(isDataExceptionCode)) return true;
    } else if ("severity" in at && isDataExceptionCode((at as { code?: unknown }).code)) {
      return true; // node-postgres' DatabaseError
    }
  }
  return false;
}

function isDataExceptionCode(code: unknown): boolean {
  return typeof code === "string" && /^22[0-9A-Z]{3}$/.test(code);
}
