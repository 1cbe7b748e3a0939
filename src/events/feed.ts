// The event feed: every committed event, once, in order, to each consumer (webhooks now;
// notifications, live updates and automations later). A consumer's position is a row of
// "EventConsumer": the (txId, seq) of the last event it handled. A batch is read, handled and the
// cursor moved in one transaction, so a crash re-reads at most the batch that did not commit.
//
// No skip, nothing uncommitted: events are read in (txId, seq) order and only below the horizon,
// the oldest transaction id still running (the audit trail's rule, src/modules/events/service.ts).
// Every transaction that can still commit has an id at or above it, so nothing can land behind a
// cursor. The consumer row is locked FOR UPDATE SKIP LOCKED while a batch is handled, so several
// instances share a consumer and a batch is handled by one of them.
import { COMMITS, PREPARED, type Database, type Db } from "../db/client.ts";
import type { Logger } from "../logger.ts";
import { listen, type NotificationChannel } from "../db/notifications.ts";
import { EVENTS_CHANNEL } from "./event-log.ts";
import type { EventRecord } from "./payload.ts";

/** An event as the feed reads it: the log row, with its position. */
export interface FeedEvent extends EventRecord {
  seq: bigint;
  txId: string;
}

/** Handles a batch inside the transaction that will move the cursor past it. */
export type FeedHandler = (tx: Db, events: FeedEvent[]) => Promise<void>;

export interface ReadResult {
  /** How many events were handled. */
  handled: number;
  /** Another instance holds the consumer right now. */
  busy: boolean;
  /** Committed events wait past the cursor (the horizon holds them back, or the batch was full). */
  pending: boolean;
}

export const EVENT_COLUMNS = `e."tenantId", e.id, e.type, e."actorType", e."actorId", e."entityType", e."entityId", e."ticketId", e.internal, e.before, e.after, e."createdAt", e.seq, e."txId"::text AS "txId"`;

/**
 * Registers a consumer if it is new. It starts at the end of the log as far as the horizon lets
 * anyone see: a new consumer is told about what happens from now on, not the whole history.
 */
export async function ensureConsumer(db: Database, name: string): Promise<void> {
  await db.$executeRawUnsafe(
    `INSERT INTO "EventConsumer" (name, "txId", seq)
     SELECT $1, coalesce(max_e."txId", '0'::xid8), coalesce(max_e.seq, 0)
       FROM (SELECT NULL) AS one
       LEFT JOIN LATERAL (SELECT e."txId", e.seq FROM "Event" e WHERE e."txId" < pg_snapshot_xmin(pg_current_snapshot())
                          ORDER BY e."txId" DESC, e.seq DESC LIMIT 1) AS max_e ON true
     ON CONFLICT (name) DO NOTHING`,
    name,
  );
}

/**
 * Whether consumer $1 has events to read ($1 its name). The first event past the cursor decides
 * both: ready if it is below the horizon (those after it have larger txIds), pending if there is
 * one at all. Asked as ORDER BY … LIMIT 1, never EXISTS: for an EXISTS the planner expects a third
 * of the log past the cursor and scans the table for it (12 ms at 100,000 events, on every poll of
 * every consumer, most of PostgreSQL's CPU under write load); this is one probe of the index.
 */
export const PEEK_SQL = `${PREPARED}SELECT coalesce(next."txId" < pg_snapshot_xmin(pg_current_snapshot()), false) AS ready, next."txId" IS NOT NULL AS pending
    FROM "EventConsumer" c
    LEFT JOIN LATERAL (SELECT e."txId" FROM "Event" e WHERE (e."txId", e.seq) > (c."txId", c.seq) ORDER BY e."txId", e.seq LIMIT 1) next ON true
   WHERE c.name = $1`;

/** Reads one batch for the consumer, hands it to `handle` and moves the cursor, in one transaction. */
export async function readBatch(db: Database, name: string, batchSize: number, handle: FeedHandler): Promise<ReadResult> {
  // A look without a transaction first: the batch transaction takes a row lock, which gives it a
  // transaction id that holds back the (cluster-wide) horizon while it runs, so it is opened only
  // when there is something to read.
  const [peek] = await db.$queryRawUnsafe<{ ready: boolean; pending: boolean }[]>(PEEK_SQL, name);
  if (!peek) throw new Error(`event consumer ${name} is not registered`);
  if (!peek.ready) return { handled: 0, busy: false, pending: peek.pending };
  return db.$transaction(
    async (tx) => {
      // The cursor, locked, and the batch past it, in one statement. The horizon comes from its
      // snapshot, taken before the row lock gives the transaction an id of its own, so the reader
      // does not hold back its own horizon. No row: another instance holds the cursor; one row
      // without an event: nothing is ready.
      const rows = await tx.$queryRawUnsafe<Array<FeedEvent | { [K in keyof FeedEvent]: null }>>(
        `${PREPARED}SELECT e.* FROM (
           SELECT "txId", seq, pg_snapshot_xmin(pg_current_snapshot()) AS horizon FROM "EventConsumer" WHERE name = $1 FOR UPDATE SKIP LOCKED
         ) c LEFT JOIN LATERAL (
           SELECT ${EVENT_COLUMNS} FROM "Event" e
            WHERE (e."txId", e.seq) > (c."txId", c.seq) AND e."txId" < c.horizon
            ORDER BY e."txId", e.seq LIMIT $2
         ) e ON true`,
        name,
        batchSize,
      );
      if (rows.length === 0) return { handled: 0, busy: true, pending: false };
      const events = rows.filter((row): row is FeedEvent => row.seq !== null);
      const last = events.at(-1);
      if (last) {
        await handle(tx, events);
        // The transaction's last statement: it commits too.
        await tx.$executeRawUnsafe(`${COMMITS}UPDATE "EventConsumer" SET "txId" = $2::xid8, seq = $3, "updatedAt" = now() WHERE name = $1`, name, last.txId, last.seq);
      }
      // A full batch: more may be ready (the next look tells).
      return { handled: events.length, busy: false, pending: events.length === batchSize };
    },
    { timeout: 60_000, maxWait: 10_000 },
  );
}

export interface ConsumerLag {
  consumer: string;
  /** Committed events past the cursor (counted up to 100,000). */
  eventsBehind: number;
  /** Age of the oldest of them; 0 when caught up. */
  secondsBehind: number;
}

/** How far each consumer trails the log: for the periodic `event feed lag` log line. */
export async function feedLag(db: Database): Promise<ConsumerLag[]> {
  const rows = await db.$queryRawUnsafe<{ consumer: string; eventsBehind: number; secondsBehind: number | null }[]>(
    `SELECT c.name AS consumer,
            (SELECT count(*)::int FROM (SELECT 1 FROM "Event" e WHERE (e."txId", e.seq) > (c."txId", c.seq) ORDER BY e."txId", e.seq LIMIT 100000) behind) AS "eventsBehind",
            (SELECT extract(epoch FROM now() - min(e."createdAt"))::float8 FROM (SELECT e."createdAt" FROM "Event" e WHERE (e."txId", e.seq) > (c."txId", c.seq) ORDER BY e."txId", e.seq LIMIT 1000) e) AS "secondsBehind"
       FROM "EventConsumer" c ORDER BY c.name`,
  );
  return rows.map((row) => ({ consumer: row.consumer, eventsBehind: row.eventsBehind, secondsBehind: Math.max(0, Math.round((row.secondsBehind ?? 0) * 10) / 10) }));
}

export interface FeedConsumerOptions {
  name: string;
  handle: FeedHandler;
  batchSize?: number;
  /** The backstop poll when no notification comes. */
  pollMs: number;
}

export interface RunningConsumer {
  stop(): Promise<void>;
}

/** The first re-read after a notification the horizon has not passed yet, doubling up to pollMs. */
const RETRY_MS = 10;
/**
 * While commits keep coming, a consumer reads at most once per this interval, so that one batch
 * (a peek, a transaction of five statements, the handler's own) serves every commit of the
 * interval rather than each commit paying for all of that in every consumer. The first read after
 * a quiet spell is at once, so an event on an idle system is not delayed.
 */
const GATHER_MS = 25;

/**
 * Runs a consumer until stopped: reads batches while there are any, then waits for a
 * notification from `appendEvent` (sent on commit) or the backstop poll. When events are committed
 * but still behind the horizon (an older transaction is open), or another instance holds the
 * consumer, it looks again shortly, backing off to the poll interval.
 */
export function runConsumers(deps: { db: Database; databaseUrl: string; pool: Parameters<typeof listen>[1]; logger: Logger }, consumers: FeedConsumerOptions[]): RunningConsumer {
  const { db, logger } = deps;
  let stopped = false;
  const wakers = new Set<() => void>();
  const channel: NotificationChannel = listen(deps.databaseUrl, deps.pool, EVENTS_CHANNEL, () => {
    for (const wake of wakers) wake();
  }, logger);

  const loop = async (options: FeedConsumerOptions) => {
    const batchSize = options.batchSize ?? 200;
    let woken = false;
    let wake: () => void = () => {
      woken = true;
    };
    const waker = () => wake();
    wakers.add(waker);
    let retryMs = RETRY_MS;
    let registered = false;
    let lastRead = 0;
    let full = false;
    while (!stopped) {
      let delay = options.pollMs;
      try {
        woken = false;
        if (!registered) {
          await ensureConsumer(db, options.name);
          registered = true;
        }
        const gather = lastRead + GATHER_MS - Date.now();
        if (gather > 0 && !full) await new Promise((resolve) => setTimeout(resolve, gather));
        lastRead = Date.now();
        const result = await readBatch(db, options.name, batchSize, options.handle);
        full = result.handled === batchSize;
        // After a batch, look again (a full one at once): more may be ready, or held back by the horizon.
        if (result.handled > 0) {
          retryMs = RETRY_MS;
          continue;
        }
        if (result.busy || result.pending) {
          delay = Math.min(retryMs, options.pollMs);
          retryMs *= 2;
        } else {
          retryMs = RETRY_MS;
        }
      } catch (error) {
        if (stopped) break;
        logger.warn({ err: error, consumer: options.name }, "event consumer failed a batch; it will read it again");
      }
      if (woken || stopped) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, delay);
        function done() {
          clearTimeout(timer);
          wake = () => {
            woken = true;
          };
          resolve();
        }
        wake = done;
      });
    }
    wakers.delete(waker);
  };

  const running = consumers.map((options) => loop(options));
  return {
    async stop() {
      stopped = true;
      for (const wake of wakers) wake();
      await channel.close();
      await Promise.all(running);
    },
  };
}
