// Background work: everything that runs on a timer or reads the event feed rather than answering
// a request. `npm start` runs it beside the API; `npm run worker` runs it alone (src/worker.ts).
import type { Services } from "./services.ts";
import { purgeExpiredIdempotencyKeys } from "./core/idempotency.ts";
import { connectSystemDatabase } from "./db/client.ts";
import { feedLag, runConsumers } from "./events/feed.ts";
import { createDeliveriesForEvents } from "./modules/webhooks/delivery-sql.ts";
import { startDeliveryWorker } from "./modules/webhooks/delivery-worker.ts";
import { presentEvents } from "./modules/events/presenter.ts";
import { createWebhookTransport } from "./modules/webhooks/transport.ts";
import { purgeExpiredStreamTickets } from "./modules/stream/tickets.ts";
import { startJobRunner } from "./db/job-queue.ts";
import { accountEmailTasks } from "./modules/accounts/emails.ts";
import { digestScheduler } from "./modules/notification-emails/schedule.ts";
import { notificationEmailTasks } from "./modules/notification-emails/digest.ts";
import { notifyForEvents } from "./modules/notifications/derive.ts";
import { ROUTING_CONSUMER, routingHandler, untriagedRoutingTasks, type TicketChanged } from "./modules/routing/router.ts";
import { queueTriageForEvents, TRIAGE_CONSUMER, triageTasks } from "./modules/triage/job.ts";
import { startSlaTimers } from "./modules/sla/timers.ts";

/** The event feed's consumers, by name (their cursors are rows of "EventConsumer"). */
export const WEBHOOK_FANOUT_CONSUMER = "webhooks";
export const NOTIFICATIONS_CONSUMER = "notifications";
export { ROUTING_CONSUMER };
/**
 * Smaller batches than the others: a routing batch writes (assignments, events) for a few
 * milliseconds per ticket, and while it runs its transaction holds back every reader's horizon.
 */
const ROUTING_BATCH = 50;
/** Lag is logged this often (info), and as a warning when a consumer trails by more than a minute. */
const LAG_LOG_MS = 60_000;
const LAG_WARN_SECONDS = 60;
/**
 * The feed and the delivery workers have connections of their own: under load they would
 * otherwise take the API's (a request waiting for one answers 503), and requests would starve them.
 */
const WORKER_POOL_SIZE = 5;
// Their commits do not wait for the disk: a commit lost in a database crash is work redone (a
// batch read again, a delivery sent again), never an event lost, since what they read is durable.

export interface Workers {
  stop(): Promise<void>;
}

export async function startWorkers(services: Services): Promise<Workers> {
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
  every(60 * 60 * 1000, "purging idempotency keys", () => purgeExpiredIdempotencyKeys(services.database.system.prisma));
  // Stream tickets live 30 seconds; those never used go within a minute after.
  every(60_000, "purging expired stream tickets", () => purgeExpiredStreamTickets(services.database.system.prisma));

  // The feed and the deliveries span every tenant: this pool acts as docket_system.
  const database = connectSystemDatabase(services.database.url, {
    poolSize: WORKER_POOL_SIZE,
    statementTimeoutMs: config.database.statementTimeoutMs,
    idleInTransactionTimeoutSeconds: config.database.idleInTransactionTimeoutSeconds,
    synchronousCommit: false,
  });
  // The feed's webhook fan-out and in-app notifications: each one's rows are made and its cursor
  // moves in one transaction.
  // Notifications due by email join a per-ticket digest, scheduled in the consumer's transaction.
  const scheduleDigests = digestScheduler(config.mail.digestWindowSeconds);
  // A ticket routing changed brings its SLA up to date from the row routing has just written.
  const ticketChanged: TicketChanged = (db, tenantId, ticketId, ticket) => services.ticketSla.sync(db, tenantId, ticketId, undefined, ticket);
  const feed = runConsumers({ db: database.prisma, databaseUrl: database.url, pool: database.pool, logger }, [
    { name: WEBHOOK_FANOUT_CONSUMER, pollMs: config.eventFeedPollMs, handle: (tx, events) => createDeliveriesForEvents(tx, events.map((event) => event.seq)).then(() => {}) },
    { name: NOTIFICATIONS_CONSUMER, pollMs: config.eventFeedPollMs, handle: (tx, events) => notifyForEvents(tx, events, scheduleDigests) },
    // Routing and auto-assignment: one cursor, so one decision-maker across every instance.
    { name: ROUTING_CONSUMER, pollMs: config.eventFeedPollMs, handle: routingHandler({ ...config.routing, ticketChanged }), batchSize: ROUTING_BATCH },
    // New tickets become triage jobs (the model is called in the job, outside this transaction).
    { name: TRIAGE_CONSUMER, pollMs: config.eventFeedPollMs, handle: queueTriageForEvents },
  ]);
  // SLA warnings and breaches, fired when due (each ticket's change plans its own timers).
  const slaTimers = startSlaTimers({ db: database.prisma, pool: database.pool, databaseUrl: database.url, logger, now: services.now });
  // One guarded, kept-alive transport for this process's attempts (see address-guard.ts).
  const transport = createWebhookTransport(config.webhooks);
  const deliveries = startDeliveryWorker({
    db: database.prisma,
    pool: database.pool,
    databaseUrl: database.url,
    config: config.webhooks,
    secrets: services.webhookSecrets,
    transport,
    present: presentEvents,
    logger,
    pollMs: config.eventFeedPollMs,
  });
  every(LAG_LOG_MS, "measuring the event feed's lag", async () => {
    for (const lag of await feedLag(database.prisma)) {
      if (lag.secondsBehind > LAG_WARN_SECONDS) logger.warn(lag, "event feed lag");
      else logger.info(lag, "event feed lag");
    }
  });
  // The local model's first call loads its word lists and models (about a second): started here, in
  // the background, so start-up does not wait for it; the first triage waits for the same load.
  services.ai.warmUp?.().catch((error: unknown) => logger.warn({ err: error }, "the AI provider's warm-up failed"));
  // Durable jobs (graphile-worker): the emails, retried with backoff until the mail is handed over.
  const jobs = await startJobRunner({
    databaseUrl: database.url,
    concurrency: config.mail.concurrency,
    pollMs: Math.max(config.eventFeedPollMs, 100),
    logger,
    tasks: {
      ...accountEmailTasks({
        db: services.database.prisma,
        system: database.prisma,
        mailer: services.mailer,
        logger,
        appUrl: config.mail.appUrl,
        passwordResetTtlSeconds: config.mail.passwordResetTtlSeconds,
      }),
      ...notificationEmailTasks({
        db: services.database.prisma,
        mailer: services.mailer,
        replyAddresses: services.replyAddresses,
        unsubscribeTokens: services.unsubscribeTokens,
        // The unsubscribe endpoint is the API's: its public origin (PUBLIC_URL), else the app's.
        apiUrl: config.publicUrl ?? config.mail.appUrl,
        appUrl: config.mail.appUrl,
        logger,
      }),
      // On the workers' own connections: a burst of new tickets must not take the API's.
      ...triageTasks({ db: database.prisma, provider: services.ai, logger }),
      // A new ticket whose triage does not come in time is routed without it.
      ...untriagedRoutingTasks(database.prisma, ticketChanged),
    },
  });
  return {
    async stop() {
      for (const timer of timers) clearInterval(timer);
      // In parallel: a shutdown has a deadline (close-with-grace), and these wait on nothing of each other.
      await Promise.all([jobs.stop(), feed.stop(), deliveries.stop(), slaTimers.stop()]);
      transport.close();
      await database.close();
    },
  };
}
