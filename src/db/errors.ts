// Recognising database errors the services turn into 4xx problems.
import { Prisma } from "../generated/prisma/client.ts";

/** A unique constraint failed (Prisma P2002), optionally on a given column. */
export function isUniqueViolation(error: unknown, column?: string): boolean {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError) || error.code !== "P2002") return false;
  if (column === undefined) return true;
  return JSON.stringify(error.meta ?? {}).includes(column);
}
