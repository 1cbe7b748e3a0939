// Sends due deliveries: claims up to its free capacity, sends each through the transport, records
// the attempt. Wakes when deliveries are created (LISTEN, any instance), when the next one falls
// due, or on a backstop poll. A slow endpoint fills only its own per-endpoint share of the slots.
import crypto from "node:crypto";
import type pg from "pg";
import type { Database } from "../../db/client.ts";
import type { Logger } from "../../logger.ts";
import type { WebhookSettings } from "../../config.ts";
import { listen } from "../../db/notifications.ts";
import { appendEvent } from "../../events/event-log.ts";
import { webhookPayload, type EventPresenter } from "../../events/payload.ts";
import { claimDeliveries, DELIVERIES_CHANNEL, nextDueAt, recordAttempt, RETRY_SCHEDULE_SECONDS, type ClaimedDelivery } from "./delivery-sql.ts";
import { signedHeaders, type SecretBox } from "./secrets.ts";
import type { WebhookTransport } from "./transport.ts";

export interface DeliveryWorkerDeps {
  db: Database;
  pool: pg.Pool;
  databaseUrl: string;
  config: WebhookSettings;
  /** Shows each event as an integration sees it (src/events/payload.ts: the payload rule). */
  present: EventPresenter;
  secrets: SecretBox;
  transport: WebhookTransport;
  logger: Logger;
  /** The backstop poll. */
  pollMs: number;
}

export interface DeliveryWorker {
  stop(): Promise<void>;
}

const MIN_SLEEP_MS = 5;

/** Disables an endpoint and says so in the event log, once (only if it was still active). */
export async function disableEndpoint(db: Database, tenantId: string, endpointId: string, reason: "gone" | "failing"): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const changed = await tx.webhookEndpoint.updateMany({ where: { tenantId, id: endpointId, active: true }, data: { active: false, disabledReason: reason } });
    if (changed.count === 0) return false;
    await appendEvent(tx, { actor: { type: "system" } }, {
      tenantId,
      type: "webhook.endpoint_disabled",
      entity: { type: "webhook", id: endpointId },
      after: { active: false, disabledReason: reason },
    });
    return true;
  });
}

export function startDeliveryWorker(deps: DeliveryWorkerDeps): DeliveryWorker {
  const { db, pool, config, logger } = deps;
  const workerId = `${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
  // Long enough for an attempt and its recording; a crashed worker's deliveries are retried after it.
  const leaseSeconds = (config.timeoutMs / 1000) * 2 + 5;
  const inFlight = new Set<Promise<void>>();
  const claimBatch = Math.max(1, Math.floor(config.concurrency / 4));
  /** Attempts in flight per endpoint, for the per-endpoint cap. */
  const busy = new Map<string, number>();
  let stopped = false;
  let ticking = false;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;

  const schedule = (ms: number) => {
    if (stopped) return;
    const at = Date.now() + ms;
    if (timer && timerAt <= at) return;
    if (timer) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(() => {
      timer = undefined;
      timerAt = Infinity;
      void tick();
    }, ms);
  };

  const secretsOf = (delivery: ClaimedDelivery): string[] => {
    const secrets = [deps.secrets.open(delivery.secret)];
    if (delivery.previousSecret && delivery.previousSecretExpiresAt && delivery.previousSecretExpiresAt > new Date()) secrets.push(deps.secrets.open(delivery.previousSecret));
    return secrets;
  };

  /**
   * The bodies of a claimed batch, by event id: each event presented as an integration of its
   * tenant sees it (the entity as it is now, so deleted words are never sent), one read per
   * tenant and entity type rather than per attempt.
   */
  const bodiesOf = async (claimed: readonly ClaimedDelivery[]): Promise<Map<string, string>> => {
    const byTenant = new Map<string, ClaimedDelivery[]>();
    for (const delivery of claimed) byTenant.set(delivery.tenantId, [...(byTenant.get(delivery.tenantId) ?? []), delivery]);
    const bodies = new Map<string, string>();
    for (const [tenantId, deliveries] of byTenant) {
      const unique = [...new Map(deliveries.map((delivery) => [delivery.eventId, { ...delivery, id: delivery.eventId }])).values()];
      for (const event of await deps.present(db, { kind: "integration", tenantId }, unique)) bodies.set(event.id, JSON.stringify(webhookPayload(event)));
    }
    return bodies;
  };

  const attempt = async (delivery: ClaimedDelivery, body: string) => {
    const response = await deps.transport.send(delivery.url, { headers: signedHeaders(secretsOf(delivery), delivery.eventId, body), body });
    const recorded = await recordAttempt(pool, delivery, workerId, response, { delaysSeconds: RETRY_SCHEDULE_SECONDS, scale: config.retryScale });
    if (recorded.status === undefined) {
      logger.warn({ deliveryId: delivery.id }, "a webhook delivery's lease ran out before its attempt was recorded; another worker holds it");
      return;
    }
    const failingFor = recorded.failingSince ? (Date.now() - recorded.failingSince.getTime()) / 1000 : 0;
    const reason = response.outcome === "gone" ? "gone" : response.outcome === "failure" && failingFor >= config.disableAfterSeconds ? "failing" : undefined;
    if (reason && (await disableEndpoint(db, delivery.tenantId, delivery.endpointId, reason))) {
      logger.warn({ tenantId: delivery.tenantId, webhookId: delivery.endpointId, reason }, "webhook endpoint disabled");
    }
  };

  const tick = async (): Promise<void> => {
    if (stopped) return;
    if (ticking) {
      again = true;
      return;
    }
    ticking = true;
    try {
      do {
        again = false;
        const free = config.concurrency - inFlight.size;
        // Under load, slots are refilled a quarter at a time: one claim per attempt finishing
        // would cost more than the attempts.
        if (free <= 0 || (inFlight.size > 0 && free < claimBatch)) break;
        const claimed = await claimDeliveries(pool, { workerId, limit: free, perEndpoint: config.perEndpointConcurrency, leaseSeconds, busy });
        const bodies = claimed.length > 0 ? await bodiesOf(claimed) : new Map<string, string>();
        for (const delivery of claimed) {
          busy.set(delivery.endpointId, (busy.get(delivery.endpointId) ?? 0) + 1);
          const running: Promise<void> = attempt(delivery, bodies.get(delivery.eventId)!)
            .catch((error: unknown) => logger.warn({ err: error, deliveryId: delivery.id }, "webhook attempt could not be recorded; it is retried when its lease ends"))
            .finally(() => {
              const left = (busy.get(delivery.endpointId) ?? 1) - 1;
              if (left > 0) busy.set(delivery.endpointId, left);
              else busy.delete(delivery.endpointId);
              inFlight.delete(running);
              requestTick();
            });
          inFlight.add(running);
        }
        if (claimed.length < free && inFlight.size === 0) {
          // Idle: sleep until the next retry falls due (an attempt finishing wakes it otherwise).
          const next = await nextDueAt(pool);
          if (next) schedule(Math.max(MIN_SLEEP_MS, Math.min(deps.pollMs, next.getTime() - Date.now())));
          else schedule(deps.pollMs);
        } else if (claimed.length < free) {
          schedule(deps.pollMs);
        }
      } while (again && !stopped);
    } catch (error) {
      if (!stopped) logger.warn({ err: error }, "webhook delivery worker failed to claim deliveries");
      schedule(deps.pollMs);
    } finally {
      ticking = false;
    }
  };

  // Attempts finishing in the same turn of the event loop share one claim.
  let tickRequested = false;
  const requestTick = () => {
    if (tickRequested || stopped) return;
    tickRequested = true;
    setImmediate(() => {
      tickRequested = false;
      void tick();
    });
  };

  const channel = listen(deps.databaseUrl, pool, DELIVERIES_CHANNEL, requestTick, logger);
  void tick();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await channel.close();
      // Attempts under way finish and are recorded; their endpoints time out within timeoutMs.
      await Promise.allSettled([...inFlight]);
    },
  };
}
