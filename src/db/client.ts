// The Prisma client factory: Prisma 7's query compiler (WebAssembly) over node-postgres, so no
// engine binary is needed at run time. Prisma and the hot-path raw queries share one pool.
//
// Two roles, whatever role the URL logs in as (a superuser in tests and CI, the tables' owner in
// most deployments; both would bypass row-level security): the application's connections act as
// `docket_app`, which sees only the rows of the tenant in scope (src/db/tenant-scope.ts), and the
// few paths that must cross tenants use `database.system`, whose connections act as
// `docket_system`. The migration `*_row_level_security` creates both roles and their policies.
import { createHash } from "node:crypto";
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { Prisma, PrismaClient } from "../generated/prisma/client.ts";
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

/** Distinct statements a process prepares at most; past it, further ones are planned each time. */
const MAX_PREPARED_STATEMENTS = 2_000;

/**
 * Put first in a read's SQL text: each connection then prepares the read once, like a write (see
 * preparedStatementNames). For reads whose best plan cannot depend on a tenant's size: look-ups by
 * key and the event feed's probes, which run once per event or poll and whose planning cost several
 * times their execution. Lists and searches stay unmarked.
 */
export const PREPARED = "/* prepared */ ";
/** PREPARED for a tagged template: `${PREPARED_SQL}SELECT …` (it adds no parameter). */
export const PREPARED_SQL = Prisma.raw(PREPARED);

/**
 * Names Prisma's writes and the reads marked PREPARED, so each connection parses and plans one once
 * and then only executes it (half of PostgreSQL's CPU for a one-row write, and the row-level-security
 * policies are planned once too). Other reads stay unnamed: a list's best plan can depend on the
 * tenant's size, which a generic plan would not see. Transaction control stays unnamed (a
 * transaction's BEGIN carries its tenant, above).
 */
function preparedStatementNames(): (query: { sql: string }) => string {
  const names = new Map<string, string>();
  // Writes, row locks, and writable CTEs (WITH … INSERT/UPDATE/DELETE).
  const write = /^\s*(INSERT|UPDATE|DELETE)\b|\bFOR (NO KEY )?UPDATE\b|^\s*WITH\b[\s\S]*\b(INSERT|UPDATE|DELETE)\b/i;
  return (query) => {
    let name = names.get(query.sql);
    if (name === undefined && names.size < MAX_PREPARED_STATEMENTS && (query.sql.startsWith(PREPARED) || write.test(query.sql))) {
      name = `docket-w-${createHash("sha1").update(query.sql).digest("base64url").slice(0, 22)}`;
      names.set(query.sql, name);
    }
    return name as string; // undefined: unnamed, planned each time
  };
}

function openConnection(databaseUrl: string, pool: pg.Pool): Connection {
  // An idle connection dropped by the server must not crash the process; the pool reconnects.
  pool.on("error", () => {});
  // Made on first use: a Prisma client costs a process 10–15 MiB, and pools used only through pg
  // (the job queue's) never need one.
  let prisma: Database | undefined;
  return {
    url: databaseUrl,
    get prisma() {
      return (prisma ??= new PrismaClient({ adapter: new PrismaPg(pool, { statementNameGenerator: preparedStatementNames() }) }));
    },
    pool,
    async close() {
      await prisma?.$disconnect();
      await pool.end();
    },
  };
}

/** What a connection's first query is, for the one case that can carry the tenant itself. */
function isBegin(config: unknown, values: unknown): boolean {
  if (typeof config === "string") return config === "BEGIN" && !(Array.isArray(values) && values.length > 0);
  const query = config as { text?: unknown; name?: unknown; values?: unknown[] } | null;
  return query?.text === "BEGIN" && query.name === undefined && !query.values?.length;
}

/** A tenant id inlined into SQL text: only ever a UUID or NO_TENANT (the principal's, never the request's). */
function tenantLiteral(tenantId: string): string {
  if (tenantId !== NO_TENANT && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(tenantId)) {
    throw new Error(`not a tenant id: ${JSON.stringify(tenantId)}`);
  }
  return `'${tenantId}'`;
}

type QueryCallback = (error: Error | null, result?: unknown) => void;

/** The session's tenant, as a statement each connection prepares once. */
const SET_TENANT = { name: "docket-tenant", text: "SELECT set_config('docket.tenant_id', $1, false)" } as const;

/** Connections whose setting statement may or may not exist (its first group failed): parsed unnamed. */
const unsureOfSetTenant = new WeakSet<WireConnection>();

function isSetTenantPrepared(connection: WireConnection): boolean {
  return connection.parsedStatements[SET_TENANT.name] === SET_TENANT.text;
}

/** What pg's Connection offers a custom query (pg's Submittable protocol, as pg-cursor uses it). */
interface WireConnection {
  parse(message: { text: string; name?: string; types?: unknown[] }): void;
  bind(message: { statement?: string; values: unknown[] }): void;
  execute(message: { portal?: string; rows?: number }): void;
  on(event: "parseComplete", listener: () => void): void;
  off(event: "parseComplete", listener: () => void): void;
  parsedStatements: Record<string, string>;
  submittedNamedStatements: Record<string, string>;
}

/** The parts of pg's Query a wrapper forwards to. */
interface InnerQuery {
  name?: string;
  text: string;
  submit(connection: WireConnection): Error | undefined;
  handleRowDescription(message: unknown): void;
  handleDataRow(message: unknown): void;
  handleCommandComplete(message: unknown, connection: WireConnection): void;
  handleEmptyQuery(connection: WireConnection): void;
  handlePortalSuspended(connection: WireConnection): void;
  handleError(error: Error, connection: WireConnection): void;
  handleReadyForQuery(connection: WireConnection): void;
}

/** A transaction's tenant: local to it, so it ends with the transaction whatever the outcome. */
const SET_TRANSACTION_TENANT = "SELECT set_config('docket.tenant_id', $1, true)";

/**
 * A query sent with the session's tenant setting in front of it, in one message group (one Sync):
 * no round trip of its own, and if the setting fails PostgreSQL skips the query (fail closed).
 * Both run in one implicit transaction, so a failing query also undoes the setting. The setting's
 * one row and completion are swallowed; everything else is the query's. The statement is unnamed
 * (parsed each time, a few µs) so no prepared-statement bookkeeping can go wrong on a failure.
 *
 * With `begin`, a transaction's first statement instead: `BEGIN` and the transaction's own tenant
 * setting go in front of it (a BEGIN inside a message group makes the group's implicit transaction
 * an explicit one, which goes on after the Sync), so a transaction costs no round trip for its
 * BEGIN. If the statement fails, the transaction is left aborted, as after any failed statement,
 * and its owner rolls it back.
 */
class WithTenant {
  /** No name: pg then leaves the statement maps alone, and `settle` keeps the query's right. */
  readonly name = undefined;
  /** Completions of the statements in front of the query, swallowed. */
  private leading = 1;
  private swallowed = 0;
  /** This group parses the setting's named statement (the connection's first). */
  private preparing = false;
  /** Parses the group sends in front of the query's, and ParseCompletes received so far. */
  private leadingParses = 0;
  private parses = 0;
  private readonly countParse = () => {
    this.parses++;
  };
  private connection: WireConnection | undefined;
  private readonly query: InnerQuery;
  private readonly tenantId: string;
  private readonly begin: boolean;

  constructor(tenantId: string, query: pg.Query, options: { begin?: boolean } = {}) {
    this.tenantId = tenantId;
    this.query = query as unknown as InnerQuery;
    this.begin = options.begin ?? false;
  }

  submit(connection: WireConnection): Error | undefined {
    this.connection = connection;
    connection.on("parseComplete", this.countParse);
    if (this.begin) {
      this.leading = 2;
      this.leadingParses = 2;
      connection.parse({ text: "BEGIN", types: [] });
      connection.bind({ statement: "", values: [] });
      connection.execute({});
      connection.parse({ text: SET_TRANSACTION_TENANT, types: [] });
      connection.bind({ statement: "", values: [this.tenantId] });
      connection.execute({});
      return this.query.submit(connection);
    }
    // The connection's first group prepares the setting's statement; later ones only bind it. After
    // a failed first group it is unknown whether the statement exists, so it is parsed unnamed.
    const prepared = isSetTenantPrepared(connection);
    this.preparing = !prepared && !unsureOfSetTenant.has(connection);
    if (!prepared) {
      connection.parse({ text: SET_TENANT.text, name: this.preparing ? SET_TENANT.name : undefined, types: [] });
      this.leadingParses = 1;
    }
    connection.bind({ statement: prepared || this.preparing ? SET_TENANT.name : "", values: [this.tenantId] });
    connection.execute({});
    return this.query.submit(connection); // its Parse (if new), Bind, Describe, Execute and the Sync
  }

  /**
   * Records what this group prepared. The setting's statement counts only if the group got through.
   * The query's counts once its Parse completed, even if a later message failed (a unique violation,
   * a bad parameter): a prepared statement outlives the failure, and parsing it again would fail.
   */
  private settle(ok: boolean): void {
    const connection = this.connection;
    if (!connection) return;
    connection.off("parseComplete", this.countParse);
    if (this.preparing) {
      if (ok) connection.parsedStatements[SET_TENANT.name] = SET_TENANT.text;
      else unsureOfSetTenant.add(connection);
    }
    const { name, text } = this.query;
    if (!name || connection.parsedStatements[name] !== undefined) return;
    if (this.parses > this.leadingParses) connection.parsedStatements[name] = text;
    delete connection.submittedNamedStatements[name];
  }

  handleRowDescription(message: unknown): void {
    this.query.handleRowDescription(message);
  }
  handleDataRow(message: unknown): void {
    if (this.swallowed === this.leading) this.query.handleDataRow(message);
  }
  handleCommandComplete(message: unknown, connection: WireConnection): void {
    if (this.swallowed < this.leading) this.swallowed++;
    else this.query.handleCommandComplete(message, connection);
  }
  handleEmptyQuery(connection: WireConnection): void {
    this.query.handleEmptyQuery(connection);
  }
  handlePortalSuspended(connection: WireConnection): void {
    this.query.handlePortalSuspended(connection);
  }
  handleError(error: Error, connection: WireConnection): void {
    this.settle(false);
    this.query.handleError(error, connection);
  }
  handleReadyForQuery(connection: WireConnection): void {
    this.settle(true);
    this.query.handleReadyForQuery(connection);
  }
}

/**
 * Each connection the pool hands out (to pool.query, to a Prisma query or transaction) runs its
 * queries as the tenant in scope, `docket.tenant_id`, without a round trip of its own where it can:
 * - A transaction's `BEGIN` (Prisma awaits it before the first statement) is answered at once and
 *   goes out in front of the first statement, in its message group, with the tenant set local to
 *   the transaction (WithTenant with `begin`): no round trip for the BEGIN. If the setting failed
 *   the transaction is aborted, so nothing runs without it.
 * - Any other first query goes out behind the session's setting in one message group (WithTenant,
 *   above): no round trip either. The setting is the session's, kept across checkouts, and an
 *   idle connection already holding the tenant is handed out first, so a busy tenant's reads
 *   skip even that.
 */
function scopeCheckoutsToTenant(pool: pg.Pool): void {
  /** The session-level setting a connection holds, when known. */
  const heldTenant = new WeakMap<pg.PoolClient, string>();
  /** The tenant a checked-out connection must run as, until its first query has been scoped. */
  const owedTenant = new WeakMap<pg.PoolClient, string>();
  /** The tenant of a connection's current checkout. */
  const checkoutTenant = new WeakMap<pg.PoolClient, string>();
  /** A transaction begun on the connection whose BEGIN has not gone out yet: it goes with the next query. */
  const owedBegin = new WeakMap<pg.PoolClient, string>();
  const patched = new WeakSet<pg.PoolClient>();

  /** Wraps the connection's `query` once: a BEGIN is held back, and the query after it, or else the first query of a checkout, goes through `scoped`. */
  const patch = (client: pg.PoolClient) => {
    patched.add(client);
    heldTenant.set(client, NO_TENANT); // first seen when new: a new session has no tenant
    const original = client.query.bind(client) as (...args: unknown[]) => unknown;
    const scoped = (tenantId: string, config: unknown, values: unknown, callback: QueryCallback | undefined, begin: boolean): unknown => {
      const submittable = config as { submit?: unknown; handleError?: (error: Error, connection: unknown) => void };
      if (typeof submittable.submit === "function") {
        // A cursor or stream answers through its own events: it is returned at once and sent once
        // the tenant is in place (a round trip of its own): the transaction's BEGIN and tenant in
        // one simple-protocol message, or the session's setting.
        const connection = (client as unknown as { connection: WireConnection }).connection;
        const setting = begin
          ? `BEGIN; SELECT set_config('docket.tenant_id', ${tenantLiteral(tenantId)}, true)`
          : isSetTenantPrepared(connection)
            ? { ...SET_TENANT, values: [tenantId] }
            : { text: SET_TENANT.text, values: [tenantId] };
        if (!begin) heldTenant.delete(client); // unknown until the server answers
        (original(setting) as Promise<unknown>).then(
          () => {
            if (!begin) heldTenant.set(client, tenantId);
            original(config, values, callback);
          },
          (error: Error) => submittable.handleError?.(error, connection),
        );
        return config;
      }
      // A transaction's setting is local to it and leaves the session's as it was.
      if (!begin) heldTenant.delete(client); // unknown until the server answers
      // Always the extended protocol, even without parameters: a simple-protocol query behind the
      // setting's extended messages would leave their implicit transaction open after it (until
      // some later Sync), so the connection would sit idle in a transaction, holding back the
      // event feed's horizon, and a later ROLLBACK would undo the session's setting.
      const extended = { ...(typeof config === "string" ? { text: config } : (config as object)), queryMode: "extended" };
      const answer = new Promise<unknown>((resolve, reject) => {
        const query = new pg.Query(extended as unknown as pg.QueryConfig, values as unknown[] | undefined, (error: Error | undefined, result: unknown) => {
          if (error) reject(error);
          else {
            if (!begin) heldTenant.set(client, tenantId);
            resolve(result);
          }
        });
        original(new WithTenant(tenantId, query, { begin }));
      });
      if (!callback) return answer;
      answer.then((result) => callback(null, result), (error: Error) => callback(error));
      return undefined;
    };
    client.query = ((config: unknown, values?: unknown, callback?: unknown) => {
      if (typeof values === "function") [values, callback] = [undefined, values];
      if (isBegin(config, values)) {
        // Answered at once: the BEGIN goes out with the transaction's first statement, with the
        // checkout's tenant set for the transaction (whether or not the session already holds it).
        owedTenant.delete(client);
        owedBegin.set(client, checkoutTenant.get(client)!);
        const result = { command: "BEGIN", rowCount: null, rows: [], fields: [] };
        if (!callback) return Promise.resolve(result);
        queueMicrotask(() => (callback as QueryCallback)(null, result));
        return undefined;
      }
      const beginning = owedBegin.get(client);
      if (beginning !== undefined) {
        owedBegin.delete(client);
        return scoped(beginning, config, values, callback as QueryCallback | undefined, true);
      }
      const tenantId = owedTenant.get(client);
      if (tenantId === undefined) return original(config, values, callback);
      owedTenant.delete(client);
      return scoped(tenantId, config, values, callback as QueryCallback | undefined, false);
    }) as typeof client.query;
  };

  const checkedOut = (client: pg.PoolClient, tenantId: string): pg.PoolClient => {
    if (!patched.has(client)) patch(client);
    checkoutTenant.set(client, tenantId);
    owedBegin.delete(client);
    if (heldTenant.get(client) === tenantId) owedTenant.delete(client);
    else owedTenant.set(client, tenantId);
    return client;
  };

  type Callback = (error: Error | undefined, client: pg.PoolClient | undefined, release: (error?: Error | boolean) => void) => void;
  const connect = pool.connect.bind(pool) as (callback?: Callback) => Promise<pg.PoolClient> | undefined;
  // pg-pool hands out its most recently idled connection: moving one that already holds this
  // tenant to that place first means that, with many tenants on a pool, a hand-out mostly finds
  // its setting in place. A heuristic only (the checkout still checks); without pg-pool's idle
  // list (a future version), hand-outs simply pay the round trip more often.
  const idle = (pool as unknown as { _idle?: Array<{ client: pg.PoolClient }> })._idle;
  const preferHolder = (tenantId: string) => {
    if (!Array.isArray(idle) || idle.length < 2 || heldTenant.get(idle.at(-1)!.client) === tenantId) return;
    const at = idle.findLastIndex((item) => heldTenant.get(item.client) === tenantId);
    if (at >= 0) idle.push(...idle.splice(at, 1));
  };
  const scopedConnect = (callback?: Callback): Promise<pg.PoolClient> | undefined => {
    const tenantId = tenantScope.current();
    preferHolder(tenantId);
    if (callback === undefined) return (connect() as Promise<pg.PoolClient>).then((client) => checkedOut(client, tenantId));
    connect((error, client, release) => callback(error, client && !error ? checkedOut(client, tenantId) : client, release));
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
