// One cursor per instance over the event log, in memory: it starts at the log's end and reads
// each new final event once, when the `docket_events` notification wakes it (sent at commit by a
// trigger) or on the backstop poll, and hands each batch to the hub to fan out to this instance's
// sockets. No EventConsumer row: a live socket that loses its instance resumes from its last
// event id on another one, so nothing here needs to survive a restart.
//
// Final means below the horizon, the oldest transaction still running (src/events/feed.ts):
// events are read in (txId, seq) order and only those every transaction that could still commit
// cannot precede, so nothing ever lands behind the cursor.
import type pg from "pg";
import { PREPARED, type Database } from "../../db/client.ts";
import type { Logger } from "../../logger.ts";
import { listen, type NotificationChannel } from "../../db/notifications.ts";
import { EVENTS_CHANNEL } from "../../events/event-log.ts";
import { EVENT_COLUMNS, type FeedEvent } from "../../events/feed.ts";

/** A place in the log: events are ordered by (txId, seq). */
export interface Position {
  txId: bigint;
  seq: bigint;
}

export function positionOf(event: { txId: string; seq: bigint }): Position {
  return { txId: BigInt(event.txId), seq: BigInt(event.seq) };
}

export function isAfter(a: Position, b: Position): boolean {
  return a.txId > b.txId || (a.txId === b.txId && a.seq > b.seq);
}

export interface FeedReaderDeps {
  db: Database;
  pool: pg.Pool;
  databaseUrl: string;
  logger: Logger;
  pollMs: number;
  /** Called with each batch, one at a time, in log order; the cursor is already past it. */
  onBatch: (events: FeedEvent[]) => Promise<void>;
}

export interface FeedReader {
  /** Reads the log's end and starts following it; idempotent. */
  start(): Promise<void>;
  /** Where the cursor is: every event up to here has been handed to the hub (or is being). */
  position(): Position;
  /** Resolves once the cursor is at or past `target`, waking the reader, or after `timeoutMs`. */
  reach(target: Position, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

const BATCH = 500;
/**
 * Whether events wait past the cursor ($1 txId, $2 seq), committed or not. ORDER BY … LIMIT 1, not
 * EXISTS, which the planner answers with a scan of the log (see PEEK_SQL in src/events/feed.ts).
 */
export const PENDING_SQL = `${PREPARED}SELECT (SELECT e.seq FROM "Event" e WHERE (e."txId", e.seq) > ($1::xid8, $2::bigint) ORDER BY e."txId", e.seq LIMIT 1) IS NOT NULL AS pending`;
const RETRY_MS = 10;

export function createFeedReader(deps: FeedReaderDeps): FeedReader {
  const { db, logger } = deps;
  let cursor: Position = { txId: 0n, seq: 0n };
  let started: Promise<void> | undefined;
  let stopped = false;
  let channel: NotificationChannel | undefined;
  let wake: (() => void) | undefined;
  let woken = false;
  let loop: Promise<void> | undefined;

  const readEnd = async () => {
    const [end] = await db.$queryRawUnsafe<{ txId: string; seq: bigint }[]>(
      `SELECT e."txId"::text AS "txId", e.seq FROM "Event" e WHERE e."txId" < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY e."txId" DESC, e.seq DESC LIMIT 1`,
    );
    if (end) cursor = positionOf(end);
  };

  const readBatch = () =>
    db.$queryRawUnsafe<FeedEvent[]>(
      `SELECT ${EVENT_COLUMNS} FROM "Event" e
        WHERE (e."txId", e.seq) > ($1::xid8, $2::bigint) AND e."txId" < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY e."txId", e.seq LIMIT ${BATCH}`,
      String(cursor.txId),
      cursor.seq,
    );

  const pending = async () => {
    const [row] = await db.$queryRawUnsafe<{ pending: boolean }[]>(PENDING_SQL, String(cursor.txId), cursor.seq);
    return row?.pending ?? false;
  };

  const run = async () => {
    let retryMs = RETRY_MS;
    while (!stopped) {
      let delay = deps.pollMs;
      woken = false;
      try {
        const events = await readBatch();
        const last = events.at(-1);
        if (last) {
          cursor = positionOf(last);
          retryMs = RETRY_MS;
          await deps.onBatch(events).catch((error: unknown) => logger.error({ err: error }, "live stream: a batch could not be delivered"));
          continue;
        }
        // Committed but held back by an older open transaction: look again shortly.
        if (await pending()) {
          delay = Math.min(retryMs, deps.pollMs);
          retryMs *= 2;
        } else retryMs = RETRY_MS;
      } catch (error) {
        if (stopped) break;
        logger.warn({ err: error }, "live stream: reading the event log failed; retrying");
      }
      if (woken || stopped) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, delay);
        function done() {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      });
    }
  };

  return {
    start() {
      started ??= (async () => {
        await readEnd();
        channel = listen(deps.databaseUrl, deps.pool, EVENTS_CHANNEL, () => {
          woken = true;
          wake?.();
        }, logger);
        if (!stopped) loop = run();
      })().catch((error: unknown) => {
        started = undefined; // the next socket tries again
        throw error;
      });
      return started;
    },
    position: () => cursor,
    async reach(target, timeoutMs) {
      const until = Date.now() + timeoutMs;
      while (!stopped && isAfter(target, cursor) && Date.now() < until) {
        woken = true;
        wake?.();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    async stop() {
      stopped = true;
      wake?.();
      await channel?.close();
      await loop;
    },
  };
}
