// The SLA timer worker: fires warnings and breaches when they are due, without scanning tickets.
// Each ticket's change plans its own timers (SlaTimer rows, indexed by due time, see ticket-sla.ts);
// this loop sleeps until the earliest one is due (or a new one is announced on SLA_TIMERS_CHANNEL),
// then takes batches of due timers (SKIP LOCKED, so several workers, and a backlog's parallel
// claims, share them), drops those made stale by a later change (the ticket's slaRevision moved
// on) and records the rest in the same transaction: each moment once per cycle, with its event.
import type pg from "pg";
import type { Database } from "../../db/client.ts";
import { listen } from "../../db/notifications.ts";
import type { Logger } from "../../logger.ts";
import { recordMoments, type Moment } from "./moments.ts";
import { SLA_TIMERS_CHANNEL } from "./ticket-sla.ts";

const BATCH = 1000;
/** Batches claimed in parallel while a backlog lasts: SKIP LOCKED keeps them apart; the workers' pool has room. */
const BACKLOG_CLAIMERS = 3;
/** The longest sleep: a backstop should a wake-up be lost with a dropped listener connection. */
const MAX_SLEEP_MS = 1_000;

interface DueTimer {
  tenantId: string;
  ticketId: string;
  metric: string;
  cycle: number;
  kind: "warning" | "breach";
  dueAt: Date;
  breachAt: Date;
  policyId: string;
}

/** Fires up to `limit` timers due at `now`, in one transaction; returns how many timers it took. */
export async function fireDueTimers(db: Database, now: Date, limit = BATCH): Promise<number> {
  return db.$transaction(async (tx) => {
    const due = await tx.$queryRaw<(DueTimer & { live: boolean })[]>`
      WITH due AS (
        DELETE FROM "SlaTimer" WHERE ("tenantId", id) IN (
          SELECT "tenantId", id FROM "SlaTimer" WHERE "dueAt" <= ${now} ORDER BY "dueAt" LIMIT ${limit} FOR UPDATE SKIP LOCKED)
        RETURNING *
      )
      SELECT d."tenantId", d."ticketId", d.metric, d.cycle, d.kind, d."dueAt", d."breachAt", t."slaPolicyId" AS "policyId",
             (t."slaRevision" = d.revision AND t."deletedAt" IS NULL AND t."slaPolicyId" IS NOT NULL) AS live
        FROM due d JOIN "Ticket" t ON t."tenantId" = d."tenantId" AND t.id = d."ticketId"`;
    const moments: Moment[] = due
      .filter((timer) => timer.live)
      .map((timer) => ({ tenantId: timer.tenantId, ticketId: timer.ticketId, metric: timer.metric, cycle: timer.cycle, policyId: timer.policyId, kind: timer.kind, at: timer.dueAt, breachAt: timer.breachAt }));
    if (moments.length > 0) await recordMoments(tx, moments);
    return due.length;
  });
}

export interface SlaTimerWorker {
  stop(): Promise<void>;
}

export function startSlaTimers(options: { db: Database; pool: pg.Pool; databaseUrl: string; logger: Logger; now: () => number }): SlaTimerWorker {
  const { db, pool, logger, now } = options;
  let stopped = false;
  let wake: (() => void) | undefined;
  let sleeper: NodeJS.Timeout | undefined;
  // A timer announced while the loop was busy must not wait for the next sleep to end.
  let announced = false;
  const onAnnounce = () => {
    announced = true;
    wake?.();
  };
  const channel = listen(options.databaseUrl, pool, SLA_TIMERS_CHANNEL, onAnnounce, logger, onAnnounce);

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (announced || stopped) {
        announced = false;
        resolve();
        return;
      }
      wake = () => {
        announced = false;
        clearTimeout(sleeper);
        wake = undefined;
        resolve();
      };
      sleeper = setTimeout(() => wake?.(), ms);
    });

  const loop = async () => {
    while (!stopped) {
      try {
        announced = false;
        const at = new Date(now());
        let taken = await fireDueTimers(db, at);
        // A backlog (many timers due at once): claim the rest on several connections at once, each
        // a batch of its own, until every claimer comes back short.
        while (taken === BATCH && !stopped) {
          const counts = await Promise.all(Array.from({ length: BACKLOG_CLAIMERS }, () => fireDueTimers(db, at)));
          taken = Math.max(...counts);
        }
        const [next] = await db.$queryRaw<{ dueAt: Date | null }[]>`SELECT min("dueAt") AS "dueAt" FROM "SlaTimer"`;
        const until = next?.dueAt ? next.dueAt.getTime() - now() : MAX_SLEEP_MS;
        if (until > 0) await sleep(Math.min(until, MAX_SLEEP_MS));
      } catch (error) {
        if (stopped) break;
        logger.warn({ err: error }, "firing SLA timers failed");
        await sleep(MAX_SLEEP_MS);
      }
    }
  };
  const running = loop();
  return {
    async stop() {
      stopped = true;
      wake?.();
      await running;
      await channel.close();
    },
  };
}
