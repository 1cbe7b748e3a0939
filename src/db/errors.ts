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
 * malformed uuid, out-of-range date or number), whether node-postgres raised it or Prisma wrapped
 * it (P2007/P2020/P2023, or any request error carrying the driver's SQLSTATE). The value came
 * from the request: the edge should have refused it, and this is the net when it did not.
 */
export function isDataException(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    if (["P2007", "P2020", "P2023"].includes(error.code)) return true;
    const meta = error.meta as { code?: unknown; driverAdapterError?: { cause?: { originalCode?: unknown; code?: unknown } } } | undefined;
    const cause = meta?.driverAdapterError?.cause;
    return [meta?.code, cause?.originalCode, cause?.code].some(isDataExceptionCode);
  }
  return error instanceof Error && isDataExceptionCode((error as { code?: unknown }).code) && "severity" in error;
}

function isDataExceptionCode(code: unknown): boolean {
  return typeof code === "string" && /^22[0-9A-Z]{3}$/.test(code);
}
