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
 * Put first in a transaction's last statement (whitespace and PREPARED may come before it): it goes out
 * with `COMMIT` behind it, in its message group, and the transaction's own COMMIT that follows is
 * answered at once: no round trip for the COMMIT, and the transaction's locks go with the
 * statement's answer. Only for a statement nothing may follow: any statement after it on the
 * connection fails, since it would run outside the transaction, and what it wrote stays committed
 * even if the caller's code throws afterwards. If the statement fails, nothing is committed and the
 * transaction is left for its owner to roll back. Outside a transaction the mark does nothing.
 */
export const COMMITS = "/* commits */ ";
/** COMMITS for a tagged template: `${COMMITS_SQL}UPDATE …`, or `${last ? COMMITS_SQL : Prisma.empty}UPDATE …`. */
export const COMMITS_SQL = Prisma.raw(COMMITS);

/** The marks (PREPARED, COMMITS) a statement's text starts with, in any order, after any whitespace. */
function marksOf(sql: string): { prepared: boolean; commits: boolean } {
  const marks = { prepared: false, commits: false };
  let at = sql.length - sql.trimStart().length;
  for (;;) {
    if (sql.startsWith(PREPARED, at)) [marks.prepared, at] = [true, at + PREPARED.length];
    else if (sql.startsWith(COMMITS, at)) [marks.commits, at] = [true, at + COMMITS.length];
    else return marks;
  }
}

/**
 * Names Prisma's writes and the statements marked PREPARED or COMMITS, so each connection parses
 * and plans one once and then only executes it (half of PostgreSQL's CPU for a one-row write, and
 * the row-level-security policies are planned once too). Other reads stay unnamed: a list's best
 * plan can depend on the tenant's size, which a generic plan would not see. Transaction control
 * stays unnamed (a transaction's BEGIN carries its tenant, below).
 */
function preparedStatementNames(): (query: { sql: string }) => string {
  const isMarked = (sql: string) => {
    const marks = marksOf(sql);
    return marks.prepared || marks.commits;
  };
  const names = new Map<string, string>();
  // Writes, row locks, and writable CTEs (WITH … INSERT/UPDATE/DELETE), after any leading comments.
  const write = /^\s*(\/\*[^*]*\*\/\s*)*(INSERT|UPDATE|DELETE)\b|\bFOR (NO KEY )?UPDATE\b|^\s*(\/\*[^*]*\*\/\s*)*WITH\b[\s\S]*\b(INSERT|UPDATE|DELETE)\b/i;
  return (query) => {
    let name = names.get(query.sql);
    if (name === undefined && names.size < MAX_PREPARED_STATEMENTS && (isMarked(query.sql) || write.test(query.sql))) {
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
  sync(): void;
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

/** Sends a statement without parameters through the extended protocol, its completion to be swallowed. */
function sendUnnamed(connection: WireConnection, text: string, values: unknown[] = []): void {
  connection.parse({ text, types: [] });
  connection.bind({ statement: "", values });
  connection.execute({});
}

interface GroupOptions {
  /** The tenant to set in front of the query: the session's, or with `begin` the transaction's. */
  tenantId?: string;
  /** The transaction's held-back BEGIN goes in front of the query. */
  begin?: boolean;
  /** COMMIT goes behind the query: it is the transaction's last statement (COMMITS). */
  commit?: boolean;
}

/**
 * A query sent with what a transaction's edges and its tenant need, in one message group (one
 * Sync), so that none of them costs a round trip of its own:
 * - `tenantId` alone: the session's tenant setting in front of the query. If the setting fails
 *   PostgreSQL skips the query (fail closed); both run in one implicit transaction, so a failing
 *   query also undoes the setting.
 * - `begin`: the transaction's first statement. `BEGIN` (and with `tenantId` the transaction's own
 *   tenant setting) goes in front of it: a BEGIN inside a message group makes the group's implicit
 *   transaction an explicit one, which goes on after the Sync. If the statement fails, the
 *   transaction is left aborted, as after any failed statement, and its owner rolls it back.
 * - `commit`: the transaction's last statement. `COMMIT` goes behind it and runs only if the
 *   statement succeeded (after an error PostgreSQL skips to the Sync, leaving the transaction
 *   aborted for its owner to roll back). The query's callback hears of a failed COMMIT as an error.
 * The statements around the query are unnamed (parsed each time, a few µs) so no prepared-statement
 * bookkeeping can go wrong on a failure; their completions and rows are swallowed, everything else
 * is the query's.
 */
class Grouped {
  /** No name: pg then leaves the statement maps alone, and `settle` keeps the query's right. */
  readonly name = undefined;
  /** Completions of the statements in front of the query, swallowed, then the query's own. */
  private leading = 0;
  private swallowed = 0;
  private answered = false;
  /** This group parses the session setting's named statement (the connection's first). */
  private preparing = false;
  /** Parses the group sends in front of the query's, and ParseCompletes received so far. */
  private leadingParses = 0;
  private parses = 0;
  private readonly countParse = () => {
    this.parses++;
  };
  private connection: WireConnection | undefined;
  private readonly query: InnerQuery;
  private readonly options: GroupOptions;

  constructor(query: pg.Query, options: GroupOptions) {
    this.query = query as unknown as InnerQuery;
    this.options = options;
  }

  submit(connection: WireConnection): Error | undefined {
    this.connection = connection;
    connection.on("parseComplete", this.countParse);
    const { tenantId, begin, commit } = this.options;
    if (begin) {
      sendUnnamed(connection, "BEGIN");
      this.leading++;
      if (tenantId !== undefined) {
        sendUnnamed(connection, SET_TRANSACTION_TENANT, [tenantId]);
        this.leading++;
      }
      this.leadingParses = this.leading;
    } else if (tenantId !== undefined) {
      // The connection's first group prepares the setting's statement; later ones only bind it. After
      // a failed first group it is unknown whether the statement exists, so it is parsed unnamed.
      const prepared = isSetTenantPrepared(connection);
      this.preparing = !prepared && !unsureOfSetTenant.has(connection);
      if (!prepared) {
        connection.parse({ text: SET_TENANT.text, name: this.preparing ? SET_TENANT.name : undefined, types: [] });
        this.leadingParses = 1;
      }
      connection.bind({ statement: prepared || this.preparing ? SET_TENANT.name : "", values: [tenantId] });
      connection.execute({});
      this.leading = 1;
    }
    // The query's Parse (if new), Bind, Describe, Execute and the Sync; with `commit`, the COMMIT
    // goes between its Execute and the Sync (not after a Bind that failed in the client: pg then
    // syncs at once, and that must not commit what came before).
    if (!commit) return this.query.submit(connection);
    let executed = false;
    const committing: WireConnection = Object.create(connection, {
      execute: { value: (message: { portal?: string; rows?: number }) => ((executed = true), connection.execute(message)) },
      sync: { value: () => (executed && sendUnnamed(connection, "COMMIT"), connection.sync()) },
    });
    return this.query.submit(committing);
  }

  /**
   * Records what this group prepared. The session setting's statement counts only if the group got
   * through. The query's counts once its Parse completed, even if a later message failed (a unique
   * violation, a bad parameter): a prepared statement outlives the failure, and parsing it again
   * would fail. (A trailing COMMIT's Parse completes only after the query's.)
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
    if (this.swallowed === this.leading && !this.answered) this.query.handleDataRow(message);
  }
  handleCommandComplete(message: unknown, connection: WireConnection): void {
    if (this.swallowed < this.leading) this.swallowed++;
    else if (!this.answered) {
      this.answered = true;
      this.query.handleCommandComplete(message, connection);
    } // else the trailing COMMIT's
  }
  handleEmptyQuery(connection: WireConnection): void {
    this.answered = true;
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

/** What a transaction-control query is ("BEGIN", "COMMIT", "ROLLBACK"), or undefined for any other. */
function transactionCommand(config: unknown, values: unknown): string | undefined {
  let text: unknown;
  if (typeof config === "string") {
    if (Array.isArray(values) && values.length > 0) return undefined;
    text = config;
  } else {
    const query = config as { text?: unknown; name?: unknown; values?: unknown[] } | null;
    if (query?.name !== undefined || query?.values?.length) return undefined;
    text = query?.text;
  }
  return text === "BEGIN" || text === "COMMIT" || text === "ROLLBACK" ? text : undefined;
}

function commitsItsTransaction(config: unknown): boolean {
  const text = typeof config === "string" ? config : (config as { text?: unknown } | null)?.text;
  return typeof text === "string" && marksOf(text).commits;
}

/** A tenant id inlined into SQL text: only ever a UUID or NO_TENANT (the principal's, never the request's). */
function tenantLiteral(tenantId: string): string {
  if (tenantId !== NO_TENANT && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(tenantId)) {
    throw new Error(`not a tenant id: ${JSON.stringify(tenantId)}`);
  }
  return `'${tenantId}'`;
}

/** Answers a query at once, as pg would have (by promise, or by callback on a later tick). */
function answerAtOnce(command: string, callback: QueryCallback | undefined): unknown {
  const result = { command, rowCount: null, rows: [], fields: [] };
  if (!callback) return Promise.resolve(result);
  queueMicrotask(() => callback(null, result));
  return undefined;
}

function failAtOnce(error: Error, callback: QueryCallback | undefined): unknown {
  if (!callback) return Promise.reject(error);
  queueMicrotask(() => callback(error));
  return undefined;
}

/**
 * Each connection the pool hands out (to pool.query, to a Prisma query or transaction) sends a
 * transaction's edges, and with `scopeToTenant` the tenant in scope (`docket.tenant_id`), without
 * round trips of their own where it can (Grouped, above):
 * - A transaction's `BEGIN` (Prisma awaits it before the first statement) is answered at once and
 *   goes out in front of the first statement, in its message group, with the tenant set local to
 *   the transaction. If the setting failed the transaction is aborted, so nothing runs without it.
 *   A transaction that ends before any statement sends nothing at all.
 * - A statement marked COMMITS inside a transaction goes out with the `COMMIT` behind it; the
 *   transaction's own COMMIT (or ROLLBACK) is then answered at once.
 * - With `scopeToTenant`, any other first query of a checkout goes out behind the session's
 *   setting in one message group. The setting is the session's, kept across checkouts, and an idle
 *   connection already holding the tenant is handed out first, so a busy tenant's reads skip even
 *   that.
 */
function groupTransactionEdges(pool: pg.Pool, options: { scopeToTenant: boolean }): void {
  /** The session-level setting a connection holds, when known. */
  const heldTenant = new WeakMap<pg.PoolClient, string>();
  /** The tenant a checked-out connection must run as, until a query outside a transaction has been scoped. */
  const owedTenant = new WeakMap<pg.PoolClient, string>();
  /** The tenant of a connection's current checkout (with scopeToTenant). */
  const checkoutTenant = new WeakMap<pg.PoolClient, string>();
  /** A transaction begun on the connection whose BEGIN has not gone out yet: it goes with the next statement. */
  const owedBegin = new WeakSet<pg.PoolClient>();
  /** A transaction is open on the connection (its BEGIN sent or owed). */
  const inTransaction = new WeakSet<pg.PoolClient>();
  /** A COMMITS statement ended the connection's transaction: only its owner's COMMIT or ROLLBACK may follow. */
  const committed = new WeakSet<pg.PoolClient>();
  const patched = new WeakSet<pg.PoolClient>();

  /** Wraps the connection's `query` once. */
  const patch = (client: pg.PoolClient) => {
    patched.add(client);
    heldTenant.set(client, NO_TENANT); // first seen when new: a new session has no tenant
    const original = client.query.bind(client) as (...args: unknown[]) => unknown;
    /** A cursor or stream, which answers through its own events: returned at once, sent once its BEGIN and tenant are in place (a round trip of their own). */
    const afterSetting = (tenantId: string | undefined, begin: boolean, config: unknown, values: unknown, callback: QueryCallback | undefined): unknown => {
      const submittable = config as { handleError?: (error: Error, connection: unknown) => void };
      const connection = (client as unknown as { connection: WireConnection }).connection;
      const setting = begin
        ? tenantId === undefined
          ? "BEGIN"
          : `BEGIN; SELECT set_config('docket.tenant_id', ${tenantLiteral(tenantId)}, true)`
        : isSetTenantPrepared(connection)
          ? { ...SET_TENANT, values: [tenantId] }
          : { text: SET_TENANT.text, values: [tenantId] };
      if (!begin) heldTenant.delete(client); // unknown until the server answers
      (original(setting) as Promise<unknown>).then(
        () => {
          if (!begin) heldTenant.set(client, tenantId!);
          original(config, values, callback);
        },
        (error: Error) => submittable.handleError?.(error, connection),
      );
      return config;
    };
    const grouped = (config: unknown, values: unknown, callback: QueryCallback | undefined, group: GroupOptions): unknown => {
      const { tenantId, begin = false, commit = false } = group;
      // A transaction's setting is local to it and leaves the session's as it was.
      const sessionSetting = tenantId !== undefined && !begin;
      if (sessionSetting) heldTenant.delete(client); // unknown until the server answers
      // Always the extended protocol, even without parameters: a simple-protocol query behind
      // extended messages would leave their implicit transaction open after it (until some later
      // Sync), so the connection would sit idle in a transaction, holding back the event feed's
      // horizon, and a later ROLLBACK would undo the session's setting. A trailing COMMIT needs
      // it too.
      const queryConfig = { ...(typeof config === "string" ? { text: config } : (config as object)), queryMode: "extended" };
      const answer = new Promise<unknown>((resolve, reject) => {
        const query = new pg.Query(queryConfig as unknown as pg.QueryConfig, values as unknown[] | undefined, (error: Error | undefined, result: unknown) => {
          if (error) return reject(error);
          if (sessionSetting) heldTenant.set(client, tenantId);
          if (commit) committed.add(client);
          resolve(result);
        });
        original(new Grouped(query, group));
      });
      if (!callback) return answer;
      answer.then((result) => callback(null, result), (error: Error) => callback(error));
      return undefined;
    };
    client.query = ((config: unknown, values?: unknown, callback?: unknown) => {
      if (typeof values === "function") [values, callback] = [undefined, values];
      const answer = callback as QueryCallback | undefined;
      const command = transactionCommand(config, values);
      if (committed.has(client)) {
        if (command === "COMMIT" || command === "ROLLBACK") {
          committed.delete(client);
          return answerAtOnce(command, answer);
        }
        return failAtOnce(new Error("a statement was sent after the one that committed its transaction (COMMITS): it would run outside the transaction"), answer);
      }
      if (command === "BEGIN") {
        owedBegin.add(client);
        inTransaction.add(client);
        return answerAtOnce(command, answer);
      }
      if (command === "COMMIT" || command === "ROLLBACK") {
        inTransaction.delete(client);
        // Nothing ran since the BEGIN, which never went out: nothing to end.
        if (owedBegin.delete(client)) return answerAtOnce(command, answer);
        return original(config, values, callback);
      }
      const begin = owedBegin.delete(client);
      const commit = inTransaction.has(client) && commitsItsTransaction(config);
      let tenantId = begin ? checkoutTenant.get(client) : undefined;
      if (!inTransaction.has(client) && owedTenant.has(client)) {
        tenantId = owedTenant.get(client);
        owedTenant.delete(client);
      }
      if (typeof (config as { submit?: unknown }).submit === "function") {
        if (tenantId === undefined && !begin) return original(config, values, callback);
        return afterSetting(tenantId, begin, config, values, answer);
      }
      if (tenantId === undefined && !begin && !commit) return original(config, values, callback);
      if (commit) inTransaction.delete(client);
      return grouped(config, values, answer, { tenantId, begin, commit });
    }) as typeof client.query;
  };

  const checkedOut = (client: pg.PoolClient, tenantId: string | undefined): pg.PoolClient => {
    if (!patched.has(client)) patch(client);
    owedBegin.delete(client);
    inTransaction.delete(client);
    committed.delete(client);
    if (tenantId === undefined) return client;
    checkoutTenant.set(client, tenantId);
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
    const tenantId = options.scopeToTenant ? tenantScope.current() : undefined;
    if (tenantId !== undefined) preferHolder(tenantId);
    if (callback === undefined) return (connect() as Promise<pg.PoolClient>).then((client) => checkedOut(client, tenantId));
    connect((error, client, release) => callback(error, client && !error ? checkedOut(client, tenantId) : client, release));
    return undefined;
  };
  pool.connect = scopedConnect as typeof pool.connect;
}

export function connectDatabase(databaseUrl: string, settings: PoolSettings = {}): DatabaseHandle {
  const pool = new pg.Pool(poolOptions(databaseUrl, settings, APP_ROLE));
  groupTransactionEdges(pool, { scopeToTenant: true });
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
  const pool = new pg.Pool(poolOptions(databaseUrl, settings, SYSTEM_ROLE));
  groupTransactionEdges(pool, { scopeToTenant: false });
  return openConnection(databaseUrl, pool);
}
