// A delivery's life as single SQL statements (graphile-worker's style): the row is the job. It is
// due while nextAttemptAt has passed (null once finished), and held by one worker while
// lockedUntil is in the future; every transition is guarded by who holds it, so a worker whose
// lease ran out cannot overwrite the next holder's work.
import type pg from "pg";
import type { Db } from "../../db/client.ts";
import type { EventRecord } from "../../events/payload.ts";
import type { AttemptResult } from "./transport.ts";

/** Wakes delivery workers (on any instance) when deliveries are created. */
export const DELIVERIES_CHANNEL = "docket_webhook_deliveries";

/**
 * Delays before each attempt, in seconds (Standard Webhooks' suggestion): immediately, 5 s, 5 min,
 * 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h. Ten attempts over about three and a half days.
 */
export const RETRY_SCHEDULE_SECONDS = [0, 5, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 86_400] as const;
/** A receiver's Retry-After is honoured up to this. */
export const RETRY_AFTER_MAX_SECONDS = 86_400;

const NOTIFY = `SELECT pg_notify('${DELIVERIES_CHANNEL}', '')`;

/**
 * The feed's webhook fan-out: one delivery per (event, active endpoint of the event's tenant that
 * subscribes to its type). A test event goes to the endpoint it names, and only there.
 */
export async function createDeliveriesForEvents(tx: Db, seqs: readonly bigint[]): Promise<number> {
  const created = await tx.$executeRawUnsafe(
    `INSERT INTO "WebhookDelivery" ("tenantId", id, "endpointId", "eventId", "eventType", "nextAttemptAt")
     SELECT e."tenantId", gen_random_uuid(), w.id, e.id, e.type, now()
       FROM "Event" e
       JOIN "WebhookEndpoint" w ON w."tenantId" = e."tenantId" AND w.active
      WHERE e.seq = ANY($1::text[]::bigint[])
        AND CASE WHEN e.type = 'webhook.test' THEN e."entityId" = w.id
                 ELSE '*' = ANY(w."eventTypes") OR e.type = ANY(w."eventTypes") END
      ORDER BY e."txId", e.seq`,
    seqs.map(String),
  );
  if (created > 0) await tx.$executeRawUnsafe(NOTIFY);
  return created;
}

/** A new delivery of an event already delivered (or not) to an endpoint: same webhook-id. */
export async function redeliver(tx: Db, tenantId: string, endpointId: string, eventId: string): Promise<string> {
  const [row] = await tx.$queryRawUnsafe<{ id: string }[]>(
    `INSERT INTO "WebhookDelivery" ("tenantId", id, "endpointId", "eventId", "eventType", "nextAttemptAt")
     SELECT e."tenantId", gen_random_uuid(), $2::uuid, e.id, e.type, now() FROM "Event" e WHERE e."tenantId" = $1::uuid AND e.id = $3::uuid
     RETURNING id::text`,
    tenantId,
    endpointId,
    eventId,
  );
  await tx.$executeRawUnsafe(NOTIFY);
  return row!.id;
}

/** Every event of the range the endpoint subscribes to, queued again (test events excepted). */
export async function replayRange(tx: Db, tenantId: string, endpointId: string, since: Date, until: Date, max: number): Promise<number> {
  const created = await tx.$executeRawUnsafe(
    `INSERT INTO "WebhookDelivery" ("tenantId", id, "endpointId", "eventId", "eventType", "nextAttemptAt")
     SELECT e."tenantId", gen_random_uuid(), w.id, e.id, e.type, now()
       FROM "Event" e JOIN "WebhookEndpoint" w ON w."tenantId" = e."tenantId" AND w.id = $2::uuid
      WHERE e."tenantId" = $1::uuid AND e."createdAt" >= $3 AND e."createdAt" < $4 AND e.type <> 'webhook.test'
        AND ('*' = ANY(w."eventTypes") OR e.type = ANY(w."eventTypes"))
        AND e."txId" < pg_snapshot_xmin(pg_current_snapshot())
      ORDER BY e."txId", e.seq
      LIMIT $5`,
    tenantId,
    endpointId,
    since,
    until,
    max,
  );
  if (created > 0) await tx.$executeRawUnsafe(NOTIFY);
  return created;
}

/** A held delivery with what an attempt needs: the endpoint's URL and secrets, and the event. */
export type ClaimedDelivery = Omit<EventRecord, "id"> & {
  id: string;
  endpointId: string;
  attempts: number;
  url: string;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  eventId: string;
};

/**
 * Takes up to `limit` due deliveries of active endpoints for this worker, oldest due first, at
 * most `perEndpoint` in flight per endpoint counting the ones this worker already holds
 * (`busy`: endpoint id → attempts in flight). The cap is per worker process: counting every
 * worker's leases would scan them at every claim. Concurrent claimers skip each other's rows.
 */
export async function claimDeliveries(
  pool: pg.Pool,
  options: { workerId: string; limit: number; perEndpoint: number; leaseSeconds: number; busy: ReadonlyMap<string, number> },
): Promise<ClaimedDelivery[]> {
  const { rows } = await pool.query<ClaimedDelivery>({
    name: "webhook_claim_deliveries",
    text: `
      WITH due AS (
        SELECT d."tenantId", d.id, d."endpointId", d."nextAttemptAt" FROM "WebhookDelivery" d
         WHERE d."nextAttemptAt" <= now() AND (d."lockedUntil" IS NULL OR d."lockedUntil" <= now())
         ORDER BY d."nextAttemptAt" LIMIT 200
      ), open AS (
        SELECT r."tenantId", r.id, r."nextAttemptAt" FROM (
          SELECT due.*, row_number() OVER (PARTITION BY due."endpointId" ORDER BY due."nextAttemptAt") AS rank
            FROM due JOIN "WebhookEndpoint" w ON w."tenantId" = due."tenantId" AND w.id = due."endpointId" AND w.active
        ) r
         WHERE r.rank + coalesce(($5::jsonb ->> r."endpointId"::text)::int, 0) <= $2
      ), chosen AS (
        SELECT d."tenantId", d.id FROM "WebhookDelivery" d JOIN open o ON o."tenantId" = d."tenantId" AND o.id = d.id
         WHERE d."nextAttemptAt" <= now() AND (d."lockedUntil" IS NULL OR d."lockedUntil" <= now())
         ORDER BY o."nextAttemptAt" LIMIT $1
         FOR UPDATE OF d SKIP LOCKED
      )
      UPDATE "WebhookDelivery" d SET "lockedUntil" = now() + make_interval(secs => $3), "lockedBy" = $4
        FROM chosen c, "WebhookEndpoint" w, "Event" e
       WHERE d."tenantId" = c."tenantId" AND d.id = c.id
         AND w."tenantId" = d."tenantId" AND w.id = d."endpointId"
         AND e."tenantId" = d."tenantId" AND e.id = d."eventId"
      RETURNING d."tenantId", d.id, d."endpointId", d.attempts, w.url, w.secret, w."previousSecret", w."previousSecretExpiresAt",
                e.id AS "eventId", e.type, e."actorType", e."actorId", e."entityType", e."entityId", e."ticketId", e.internal, e.before, e.after, e."createdAt"`,
    values: [options.limit, options.perEndpoint, options.leaseSeconds, options.workerId, JSON.stringify(Object.fromEntries(options.busy))],
  });
  return rows;
}

/** When the next delivery falls due (null: none pending), so an idle worker sleeps just that long. */
export async function nextDueAt(pool: pg.Pool): Promise<Date | null> {
  const { rows } = await pool.query<{ at: Date | null }>({
    name: "webhook_next_due",
    text: `SELECT min(greatest(d."nextAttemptAt", d."lockedUntil")) AS at FROM (
             SELECT "nextAttemptAt", "lockedUntil" FROM "WebhookDelivery" WHERE "nextAttemptAt" IS NOT NULL ORDER BY "nextAttemptAt" LIMIT 100) d`,
  });
  return rows[0]?.at ?? null;
}

export interface RecordedAttempt {
  /** pending (another attempt is scheduled), succeeded or failed; undefined when the lease was lost. */
  status: "pending" | "succeeded" | "failed" | undefined;
  /** Since when the endpoint has failed every attempt (null after this success). */
  failingSince: Date | null;
}

/**
 * Records an attempt and decides what follows, in one statement guarded by the lease: the
 * attempt row, the delivery's next attempt (the schedule's delay with ±10 % jitter, or the
 * receiver's Retry-After when longer) or its end, and the endpoint's failing-since mark.
 */
export async function recordAttempt(
  pool: pg.Pool,
  delivery: { tenantId: string; id: string },
  workerId: string,
  response: AttemptResult,
  schedule: { delaysSeconds: readonly number[]; scale: number },
): Promise<RecordedAttempt> {
  const retryAfterSeconds = response.retryAfterMs === null ? null : Math.min(response.retryAfterMs / 1000, RETRY_AFTER_MAX_SECONDS);
  const { rows } = await pool.query<{ status: RecordedAttempt["status"] | null; failingSince: Date | null }>({
    name: "webhook_record_attempt",
    text: `
      WITH held AS (
        SELECT d."tenantId", d.id, d."endpointId", d.attempts + 1 AS number,
               ($4 = 'failure' AND d.attempts + 1 < cardinality($10::float8[])) AS retry
          FROM "WebhookDelivery" d
         WHERE d."tenantId" = $1::uuid AND d.id = $2::uuid AND d."lockedBy" = $3 AND d."nextAttemptAt" IS NOT NULL
      ), attempt AS (
        INSERT INTO "WebhookAttempt" ("tenantId", id, "deliveryId", number, outcome, "responseStatus", "latencyMs", "responseHeaders", "responseBody", error)
        SELECT h."tenantId", gen_random_uuid(), h.id, h.number, $4, $5, $6, $7::jsonb, $8, $9 FROM held h
      ), delivery AS (
        UPDATE "WebhookDelivery" d
           SET attempts = h.number,
               status = CASE WHEN $4 = 'success' THEN 'succeeded' WHEN h.retry THEN 'pending' ELSE 'failed' END,
               "nextAttemptAt" = CASE WHEN h.retry THEN now() + make_interval(secs => greatest(
                   ($10::float8[])[h.number + 1] * $11 * (0.9 + random() * 0.2), coalesce($12::float8, 0))) END,
               "completedAt" = CASE WHEN h.retry THEN NULL ELSE now() END,
               "lockedUntil" = NULL, "lockedBy" = NULL, "lastStatus" = $5, "lastError" = $9, "updatedAt" = now()
          FROM held h WHERE d."tenantId" = h."tenantId" AND d.id = h.id
        RETURNING d.status
      ), endpoint AS (
        UPDATE "WebhookEndpoint" w
           SET "failingSince" = CASE WHEN $4 = 'success' THEN NULL ELSE now() END
          FROM held h
         WHERE w."tenantId" = h."tenantId" AND w.id = h."endpointId"
           AND CASE WHEN $4 = 'success' THEN w."failingSince" IS NOT NULL ELSE w."failingSince" IS NULL END
        RETURNING w."failingSince"
      )
      SELECT (SELECT status FROM delivery) AS status,
             CASE WHEN EXISTS (SELECT 1 FROM endpoint) THEN (SELECT "failingSince" FROM endpoint)
                  ELSE (SELECT w."failingSince" FROM "WebhookEndpoint" w JOIN held h ON w."tenantId" = h."tenantId" AND w.id = h."endpointId") END AS "failingSince"`,
    values: [
      delivery.tenantId,
      delivery.id,
      workerId,
      response.outcome,
      response.status ?? null,
      response.latencyMs,
      JSON.stringify(response.responseHeaders),
      response.responseBody ?? null,
      response.error ?? null,
      schedule.delaysSeconds,
      schedule.scale,
      retryAfterSeconds,
    ],
  });
  const row = rows[0];
  return { status: row?.status ?? undefined, failingSince: row?.failingSince ?? null };
}
