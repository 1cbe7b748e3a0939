// The Prisma client factory: Prisma 7's query compiler (WebAssembly) over node-postgres, so no
// engine binary is needed at run time. Prisma and the hot-path raw queries share one pool.
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient, type Prisma } from "../generated/prisma/client.ts";

export type Database = PrismaClient;
/** Either the client or an open transaction: repositories take whichever the caller holds. */
export type Db = PrismaClient | Prisma.TransactionClient;

export interface DatabaseHandle {
  prisma: Database;
  pool: pg.Pool;
  /** For connections of their own (LISTEN). */
  url: string;
  close(): Promise<void>;
}

export function connectDatabase(
  databaseUrl: string,
  options: { poolSize?: number; idleInTransactionTimeoutSeconds?: number; synchronousCommit?: boolean } = {},
): DatabaseHandle {
  // A request waits at most 5 s for a connection, then answers 503 instead of queueing forever.
  // A session idle inside a transaction is ended by the server: it would hold back the event
  // feed's horizon (the oldest running transaction) for every consumer.
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
    idle_in_transaction_session_timeout: (options.idleInTransactionTimeoutSeconds ?? 60) * 1000,
    ...(options.synchronousCommit === false ? { options: "-c synchronous_commit=off" } : {}),
  });
  // An idle connection dropped by the server must not crash the process; the pool reconnects.
  pool.on("error", () => {});
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    url: databaseUrl,
    prisma,
    pool,
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
