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

export interface PoolSettings {
  /** Connections this process opens at most (Prisma and the raw queries share them). */
  poolSize?: number;
  /** How long a request waits for a free connection before answering 503. */
  connectionTimeoutMs?: number;
  /** The server cancels any statement running longer (0: no limit), so one slow query cannot hold a connection forever. */
  statementTimeoutMs?: number;
  /**
   * The server ends a session idle inside a transaction after this long: it would hold back the
   * event feed's horizon (the oldest running transaction) for every consumer.
   */
  idleInTransactionTimeoutSeconds?: number;
  /** false for workers' own pools: a commit lost in a database crash only means work redone. */
  synchronousCommit?: boolean;
}

export function connectDatabase(databaseUrl: string, settings: PoolSettings = {}): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: settings.poolSize ?? 10,
    connectionTimeoutMillis: settings.connectionTimeoutMs ?? 5_000,
    statement_timeout: settings.statementTimeoutMs ?? 30_000,
    idle_in_transaction_session_timeout: (settings.idleInTransactionTimeoutSeconds ?? 60) * 1000,
    ...(settings.synchronousCommit === false ? { options: "-c synchronous_commit=off" } : {}),
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
