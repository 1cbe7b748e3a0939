// The Prisma client factory: Prisma 7's query compiler (WebAssembly) over node-postgres, so no
// engine binary is needed at run time. Prisma and the hot-path raw queries share one pool.
//
// Two roles, whatever role the URL logs in as (a superuser in tests and CI, the tables' owner in
// most deployments; both would bypass row-level security): the application's connections act as
// `docket_app`, which sees only the rows of the tenant in scope (src/db/tenant-scope.ts), and the
// few paths that must cross tenants use `database.system`, whose connections act as
// `docket_system`. The migration `*_row_level_security` creates both roles and their policies.
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient, type Prisma } from "../generated/prisma/client.ts";
import { NO_TENANT, tenantScope } from "./tenant-scope.ts";
import { scopePrismaBatches } from "./prisma-batches.ts";

export const APP_ROLE = "docket_app";
export const SYSTEM_ROLE = "docket_system";
/** Cross-tenant work on the API's side is rare and small (sign-in look-ups, the operator, metrics). */
const SYSTEM_POOL_SIZE = 3;

export type Database = PrismaClient;
/** Either the client or an open transaction: repositories take whichever the caller holds. */
export type Db = PrismaClient | Prisma.TransactionClient;

/** A pool and the Prisma client over it, acting as one role. */
export interface Connection {
  prisma: Database;
  pool: pg.Pool;
  /** For connections of their own (LISTEN). */
  url: string;
  close(): Promise<void>;
}

export interface DatabaseHandle extends Connection {
  /**
   * Across tenants (role docket_system), for the paths that must: looking up a tenant by slug or a
   * refresh token by hash before the tenant is known, the platform operator, and metrics and
   * housekeeping that span every tenant. Everything else uses `prisma`/`pool`, scoped to a tenant.
   */
  system: Connection;
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

/** The role every connection of a pool acts as, set at connection start: no extra round trip. */
function poolOptions(databaseUrl: string, settings: PoolSettings, role: string): pg.PoolConfig {
  const options = [`-c role=${role}`, ...(settings.synchronousCommit === false ? ["-c synchronous_commit=off"] : [])];
  return {
    connectionString: databaseUrl,
    max: settings.poolSize ?? 10,
    connectionTimeoutMillis: settings.connectionTimeoutMs ?? 5_000,
    statement_timeout: settings.statementTimeoutMs ?? 30_000,
    idle_in_transaction_session_timeout: (settings.idleInTransactionTimeoutSeconds ?? 60) * 1000,
    options: options.join(" "),
  };
}

function openConnection(databaseUrl: string, pool: pg.Pool): Connection {
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

/**
 * Each connection the pool hands out (to pool.query, to a Prisma query or transaction) first
 * holds the tenant in scope as its `docket.tenant_id`. The setting is the session's, kept across
 * checkouts: it is written (one extra round trip) only when the connection last served another
 * tenant, or a tenant when none is now in scope, so a busy tenant's requests pay nothing, and an
 * idle connection already holding the tenant is preferred.
 */
function scopeCheckoutsToTenant(pool: pg.Pool): void {
  const heldTenant = new WeakMap<pg.PoolClient, string>();
  const hold = async (client: pg.PoolClient, tenantId: string): Promise<void> => {
    if ((heldTenant.get(client) ?? NO_TENANT) === tenantId) return;
    heldTenant.delete(client); // unknown until the server answers
    await client.query({ name: "docket-tenant", text: "SELECT set_config('docket.tenant_id', $1, false)", values: [tenantId] });
    heldTenant.set(client, tenantId);
  };
  type Callback = (error: Error | undefined, client: pg.PoolClient | undefined, release: (error?: Error | boolean) => void) => void;
  const connect = pool.connect.bind(pool) as (callback?: Callback) => Promise<pg.PoolClient> | undefined;
  // pg-pool hands out its most recently idled connection: moving one that already holds this
  // tenant to that place first means that, with many tenants on a pool, a hand-out mostly finds
  // its setting in place. A heuristic only (hold() still checks); without pg-pool's idle list
  // (a future version), hand-outs simply pay the round trip more often.
  const idle = (pool as unknown as { _idle?: Array<{ client: pg.PoolClient }> })._idle;
  const preferHolder = (tenantId: string) => {
    if (!Array.isArray(idle) || idle.length < 2 || heldTenant.get(idle.at(-1)!.client) === tenantId) return;
    const at = idle.findLastIndex((item) => heldTenant.get(item.client) === tenantId);
    if (at >= 0) idle.push(...idle.splice(at, 1));
  };
  const scopedConnect = (callback?: Callback): Promise<pg.PoolClient> | undefined => {
    const tenantId = tenantScope.current();
    preferHolder(tenantId);
    if (callback === undefined) {
      return (connect() as Promise<pg.PoolClient>).then(async (client) => {
        try {
          await hold(client, tenantId);
        } catch (error) {
          client.release(error as Error); // its setting is unknown: never reuse it
          throw error;
        }
        return client;
      });
    }
    connect((error, client, release) => {
      if (error || !client) return callback(error, client, release);
      hold(client, tenantId).then(
        () => callback(undefined, client, release),
        (failure: Error) => {
          release(failure);
          callback(failure, undefined, () => {});
        },
      );
    });
    return undefined;
  };
  pool.connect = scopedConnect as typeof pool.connect;
}

export function connectDatabase(databaseUrl: string, settings: PoolSettings = {}): DatabaseHandle {
  const pool = new pg.Pool(poolOptions(databaseUrl, settings, APP_ROLE));
  scopeCheckoutsToTenant(pool);
  const app = openConnection(databaseUrl, pool);
  scopePrismaBatches(app.prisma);
  const system = connectSystemDatabase(databaseUrl, { ...settings, poolSize: Math.min(SYSTEM_POOL_SIZE, settings.poolSize ?? SYSTEM_POOL_SIZE) });
  return {
    ...app,
    system,
    async close() {
      await app.close();
      await system.close();
    },
  };
}

/** Across tenants only (role docket_system): the workers' own pool, and `database.system`. */
export function connectSystemDatabase(databaseUrl: string, settings: PoolSettings = {}): Connection {
  return openConnection(databaseUrl, new pg.Pool(poolOptions(databaseUrl, settings, SYSTEM_ROLE)));
}
