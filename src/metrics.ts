// createMetrics(database): one Prometheus registry per app instance (never prom-client's global
// one: tests run several apps in one process). Request metrics are recorded as requests end
// (src/http/metrics.ts); the rest is read when Prometheus scrapes, in at most two queries.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { DatabaseHandle } from "./db/client.ts";
import { feedLag, type ConsumerLag } from "./events/feed.ts";

/**
 * One read shared by the gauges that show it: prom-client collects every metric of a scrape at
 * once, so whoever asks while the read is in flight gets the same promise. A failed read leaves
 * those gauges empty (absent series) rather than failing the whole scrape.
 */
function sharedPerScrape<T>(read: () => Promise<T>): () => Promise<T | undefined> {
  let inFlight: Promise<T | undefined> | undefined;
  return () => {
    inFlight ??= read()
      .catch(() => undefined)
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}

interface DeliveryCounts {
  pending: number;
  failed: number;
}

export interface MetricSources {
  /** Live-stream sockets this instance holds open now. */
  openWebSockets: () => number;
}

export function createMetrics(database: Pick<DatabaseHandle, "pool" | "system">, sources: MetricSources) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: "websocket_connections",
    help: "Live-stream WebSockets (GET /v1/stream) open on this instance.",
    registers: [registry],
    collect() {
      this.set(sources.openWebSockets());
    },
  });

  const { pool } = database;
  new Gauge({
    name: "db_pool_connections",
    help: "Connections of this process's PostgreSQL pool: total open, idle, and requests waiting for one.",
    labelNames: ["state"] as const,
    registers: [registry],
    collect() {
      this.set({ state: "total" }, pool.totalCount);
      this.set({ state: "idle" }, pool.idleCount);
      this.set({ state: "waiting" }, pool.waitingCount);
    },
  });

  // The feed and the delivery queue span tenants: read as docket_system.
  const lag = sharedPerScrape(() => feedLag(database.system.prisma));
  const lagGauge = (name: string, help: string, value: (lag: ConsumerLag) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["consumer"] as const,
      registers: [registry],
      async collect() {
        const consumers = await lag();
        this.reset();
        for (const consumer of consumers ?? []) this.set({ consumer: consumer.consumer }, value(consumer));
      },
    });
  lagGauge("event_feed_lag_events", "Committed events the consumer has not handled yet (counted up to 100,000).", (consumer) => consumer.eventsBehind);
  lagGauge("event_feed_lag_seconds", "Age of the oldest event the consumer has not handled yet; 0 when caught up.", (consumer) => consumer.secondsBehind);

  // Across tenants, in one statement that reads two indexes, never the table of every delivery
  // ever made: a delivery is pending exactly while it has a next attempt ("nextAttemptAt" index),
  // and the failed ones have a partial index of their own.
  const deliveries = sharedPerScrape(async () => {
    const { rows } = await database.system.pool.query<DeliveryCounts>(
      `SELECT (SELECT count(*)::int FROM "WebhookDelivery" WHERE "nextAttemptAt" IS NOT NULL) AS pending,
              (SELECT count(*)::int FROM "WebhookDelivery" WHERE status = 'failed') AS failed`,
    );
    return rows[0];
  });
  const deliveryGauge = (name: string, help: string, key: keyof DeliveryCounts) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const counts = await deliveries();
        this.reset();
        if (counts) this.set(counts[key]);
      },
    });
  deliveryGauge("webhook_deliveries_pending", "Webhook deliveries waiting for a (first or next) attempt.", "pending");
  deliveryGauge("webhook_deliveries_failed", "Webhook deliveries given up on (retries exhausted or the endpoint gone) that the table still holds.", "failed");

  return {
    registry,
    requests: new Counter({
      name: "http_requests_total",
      help: "HTTP requests answered, by the contract's operationId (unknown: no route), method and status.",
      labelNames: ["operation", "method", "status"] as const,
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: "http_request_duration_seconds",
      help: "Time from receiving a request to sending its response, by operationId.",
      labelNames: ["operation"] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
