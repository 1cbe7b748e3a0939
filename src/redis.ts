// The Redis connection that lets API instances share rate-limit counters (REDIS_URL). Built in
// the composition root, connected by the first user (the API's rate limits; a worker never
// connects) and closed with the services. Redis is optional at every moment: commands fail at
// once instead of queueing while it is away, so a request never waits on a reconnect.
import { createRequire } from "node:module";
import type { Redis } from "ioredis";
import type { Logger } from "./logger.ts";

export type { Redis };

const require = createRequire(import.meta.url);

export function createRedis(url: string, logger: Logger): Redis {
  // Required here, not imported at the top: ioredis costs a process several MiB, and only a
  // configuration with REDIS_URL (the one caller) uses it.
  const { Redis } = require("ioredis") as typeof import("ioredis");
  const redis = new Redis(url, {
    lazyConnect: true,
    // Fail fast while disconnected: the limiters decide what a failure means (see src/http/rate-limit.ts).
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 1_000,
    connectTimeout: 2_000,
    // Keep trying in the background, at most every 2 s.
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
  });
  // One line when Redis goes away and one when it is back, not one per reconnection attempt.
  let away = false;
  redis.on("error", (error: Error) => {
    if (away) return;
    away = true;
    logger.warn({ err: error }, "Redis unavailable: rate limits fall back (see README, Rate limits)");
  });
  redis.on("ready", () => {
    if (!away) return;
    away = false;
    logger.info("Redis available again: rate limits are shared");
  });
  return redis;
}

/** Connects, waiting at most timeoutMs: Docket starts without Redis and catches up when it appears. */
export async function connectRedis(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === "ready") return true;
  if (redis.status === "wait") redis.connect().catch(() => {}); // the error event reports it
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(false), timeoutMs);
    const onReady = () => finish(true);
    function finish(ready: boolean): void {
      clearTimeout(timer);
      redis.off("ready", onReady);
      resolve(ready);
    }
    redis.on("ready", onReady);
  });
}

export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === "ready") await redis.quit().catch(() => redis.disconnect());
  else redis.disconnect();
}
