// Article views without a database write per view: each view is counted in memory (or in Redis,
// shared by every instance, when REDIS_URL is set), and the counts are added to the articles in one
// statement every few seconds and when the process shuts down. A view is worth little alone: a
// count lost in a crash between flushes is acceptable, a write per page view is not.
import type pg from "pg";
import type { Logger } from "../../logger.ts";
import type { Redis } from "../../redis.ts";

/** The Redis hash views wait in; its fields are `<tenantId>:<articleId>`. */
export const VIEWS_KEY = "docket:help-center:views";

export interface ViewCounter {
  count(tenantId: string, articleId: string): void;
  /** Adds every pending view to its article now. */
  flush(): Promise<void>;
  /** Stops the timer and flushes what is left. */
  close(): Promise<void>;
}

export interface ViewCounterOptions {
  /** A cross-tenant pool (database.system): one statement adds the views of every tenant. */
  system: pg.Pool;
  redis: Redis | undefined;
  flushMs: number;
  logger: Logger;
}

const ADD_VIEWS = `UPDATE "HelpCenterArticle" a SET "viewCount" = a."viewCount" + v.n
  FROM unnest($1::uuid[], $2::uuid[], $3::int[]) AS v("tenantId", id, n)
 WHERE a."tenantId" = v."tenantId" AND a.id = v.id`;

export function createViewCounter(options: ViewCounterOptions): ViewCounter {
  const { system, redis, logger } = options;
  let pending = new Map<string, number>();
  const add = (counts: Map<string, number>, key: string, n: number) => counts.set(key, (counts.get(key) ?? 0) + n);

  async function write(counts: Map<string, number>): Promise<void> {
    if (counts.size === 0) return;
    const tenants: string[] = [];
    const ids: string[] = [];
    const ns: number[] = [];
    for (const [key, n] of counts) {
      const [tenantId, articleId] = key.split(":");
      tenants.push(tenantId!);
      ids.push(articleId!);
      ns.push(n);
    }
    await system.query(ADD_VIEWS, [tenants, ids, ns]);
  }

  /** Takes Redis's counts atomically (the hash is read and deleted in one transaction). */
  async function takeFromRedis(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (!redis || redis.status !== "ready") return counts;
    const results = await redis.multi().hgetall(VIEWS_KEY).del(VIEWS_KEY).exec();
    const hash = (results?.[0]?.[1] ?? {}) as Record<string, string>;
    for (const [key, n] of Object.entries(hash)) add(counts, key, Number(n));
    return counts;
  }

  let flushing: Promise<void> | undefined;
  async function flushOnce(): Promise<void> {
    const counts = pending;
    pending = new Map();
    try {
      for (const [key, n] of await takeFromRedis()) add(counts, key, n);
    } catch (error) {
      logger.warn({ err: error }, "could not take help-center views from Redis; they stay there for the next flush");
    }
    try {
      await write(counts);
    } catch (error) {
      // Kept for the next flush (in this process's memory: Redis may be what failed).
      for (const [key, n] of counts) add(pending, key, n);
      throw error;
    }
  }

  const flush = async () => {
    // One flush at a time: a slow one and the timer's next must not take the same counts twice.
    while (flushing) await flushing;
    flushing = flushOnce().finally(() => {
      flushing = undefined;
    });
    return flushing;
  };

  const timer = setInterval(() => {
    flush().catch((error: unknown) => logger.warn({ err: error }, "could not add help-center views to their articles"));
  }, options.flushMs);
  timer.unref();

  return {
    count(tenantId, articleId) {
      const key = `${tenantId}:${articleId}`;
      if (redis && redis.status === "ready") {
        // Not awaited: a view never waits on Redis; if the increment fails, memory keeps it.
        redis.hincrby(VIEWS_KEY, key, 1).catch(() => add(pending, key, 1));
      } else {
        add(pending, key, 1);
      }
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
