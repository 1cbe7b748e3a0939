// Background work: everything that runs on a timer or reads the event feed rather than answering
// a request. `npm start` runs it beside the API; `npm run worker` runs it alone (src/worker.ts).
import type { Services } from "./services.ts";
import { purgeExpiredIdempotencyKeys } from "./core/idempotency.ts";

export interface Workers {
  stop(): Promise<void>;
}

export function startWorkers(services: Services): Workers {
  const { config, logger } = services;
  const timers: NodeJS.Timeout[] = [];
  /** Housekeeping on a timer that never keeps the process alive. */
  const every = (ms: number, what: string, job: () => Promise<unknown>) => {
    const timer = setInterval(() => {
      job().catch((error: unknown) => logger.warn({ err: error }, `${what} failed`));
    }, ms);
    timer.unref();
    timers.push(timer);
  };
  // Presigned uploads never registered are deleted once expired; checked about as often as one
  // can expire, at most every minute.
  every(Math.min(60_000, config.attachments.uploadUrlTtlSeconds * 1000), "sweeping expired uploads", () => services.attachments.sweepExpiredUploads());
  // Idempotency keys live 24 hours; an hourly purge keeps the table to about a day of writes.
  every(60 * 60 * 1000, "purging idempotency keys", () => purgeExpiredIdempotencyKeys(services.database.prisma));
  return {
    async stop() {
      for (const timer of timers) clearInterval(timer);
    },
  };
}
