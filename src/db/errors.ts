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
