// createServices(deps): the one composition root. The API (src/app.ts) and the workers
// (src/workers.ts) both build on what it returns, so a worker process needs no Fastify.
import type { Config } from "./config.ts";
import type { DatabaseHandle } from "./db/client.ts";
import type { Logger } from "./logger.ts";
import { listen } from "./db/notifications.ts";
import { createTokenIssuer } from "./modules/auth/tokens.ts";
import { createAuthService } from "./modules/auth/service.ts";
import { createSessionCache } from "./modules/auth/session-cache.ts";
import { createTenantService } from "./modules/tenant/service.ts";
import { createUserService } from "./modules/users/service.ts";
import { createPlatformService } from "./modules/platform/service.ts";
import { createTicketService } from "./modules/tickets/service.ts";
import { createCommentService } from "./modules/comments/service.ts";
import { createEventService } from "./modules/events/service.ts";
import { createAttachmentService } from "./modules/attachments/service.ts";
import { createLocalObjectService } from "./modules/attachments/local-objects.ts";
import { createStorage } from "./storage/create-storage.ts";
import type { ObjectStorage } from "./storage/object-storage.ts";
import { createWebhookService } from "./modules/webhooks/service.ts";
import { createSecretBox } from "./modules/webhooks/secrets.ts";
import { createMetrics } from "./metrics.ts";
import { closeRedis, createRedis } from "./redis.ts";
import { createStreamService } from "./modules/stream/service.ts";
import { noSignals, type StreamSignals } from "./modules/stream/signals.ts";
import { decodeSessionChange, encodeSessionChange, type SessionChange } from "./modules/auth/session-changes.ts";
import { createPresenceService } from "./modules/presence/service.ts";
import { createApiKeyService, type VerifiedApiKey } from "./modules/api-keys/service.ts";
import { scopesByRole } from "./modules/api-keys/policy.ts";
import { loadContract } from "./core/contract.ts";
import { createMailer } from "./mail/mailer.ts";
import { createReplyAddresses, deriveKey } from "./mail/reply-address.ts";
import { createAccountService } from "./modules/accounts/service.ts";
import { createInboundEmailService } from "./modules/inbound-email/service.ts";
import { createUnsubscribeTokens } from "./mail/unsubscribe-token.ts";
import { createUnsubscribeService } from "./modules/notification-emails/unsubscribe.ts";
import { createNotificationService } from "./modules/notifications/service.ts";
import { decodePush, NOTIFICATIONS_CHANNEL } from "./modules/notifications/live.ts";
import { createWidgetService } from "./modules/widget/service.ts";
import { createHelpCenterService } from "./modules/help-center/service.ts";
import { createPublicTenants } from "./modules/help-center/public-tenants.ts";
import { createViewCounter } from "./modules/help-center/view-counter.ts";
import { createSlaService } from "./modules/sla/service.ts";
import { createTicketSla } from "./modules/sla/ticket-sla.ts";
import { createGroupService } from "./modules/groups/service.ts";
import { createRoutingRuleService } from "./modules/routing/rule-service.ts";
import { createMacroService } from "./modules/macros/service.ts";
import { createAiProvider } from "./ai/create-provider.ts";
import { createTriageService } from "./modules/triage/service.ts";
import { createSummaryService } from "./modules/summaries/service.ts";
import { createQaReviewService } from "./modules/qa-reviews/service.ts";
import { createExportService } from "./modules/exports/service.ts";
import { createExportSlots } from "./core/export-slots.ts";
import { createReportService } from "./modules/reports/service.ts";
import { createTermStats } from "./modules/help-center/term-stats.ts";

export interface ServiceDeps {
  config: Config;
  database: DatabaseHandle;
  logger: Logger;
  /** Default: the driver the configuration names (see src/storage/create-storage.ts). */
  storage?: ObjectStorage;
  /** Typing, presence and read markers on the live stream; default: none. */
  signals?: StreamSignals;
  /** What time it is for SLA clocks and timers (ms since the epoch); default: the system clock. Tests move it. */
  now?: () => number;
}

export function createServices(deps: ServiceDeps) {
  const { config, database, logger } = deps;
  // openapi.yaml, parsed once per process (about 0.7 s of CPU): the app takes it from here.
  const contract = loadContract();
  const tokens = createTokenIssuer(config);
  const tenants = createTenantService(database.prisma);
  // Revocations reach every instance's session and API key caches, and its live sockets, through
  // LISTEN/NOTIFY (this instance's own included). One channel for both caches: a change to a user
  // (deactivated, demoted) or a tenant also ends its keys. The message says which sessions ended,
  // so the stream closes exactly the sockets affected.
  const sessionChanges = listen(database.url, database.pool, "docket_session_changes", (payload) => {
    sessions.forget();
    apiKeyCache.forget();
    stream.hub.sessionsChanged(decodeSessionChange(payload)).catch((error: unknown) => logger.warn({ err: error }, "could not apply a session change to live sockets"));
  }, logger);
  const announce = (change: SessionChange) => sessionChanges.publish(encodeSessionChange(change)).catch((error: unknown) => logger.warn({ err: error }, "could not announce a session change"));
  const apiKeyCache = createSessionCache<VerifiedApiKey>(config.sessionCacheTtlSeconds * 1000, { onInvalidate: announce });
  const sessions = createSessionCache(config.sessionCacheTtlSeconds * 1000, {
    onInvalidate: (change) => {
      apiKeyCache.forget();
      void announce(change);
    },
  });
  const storage = deps.storage ?? createStorage(config);
  const webhookSecrets = createSecretBox(config.webhooks.secretKey);
  // Shared rate-limit counters; connected by the API when it registers its limits.
  const redis = config.redisUrl ? createRedis(config.redisUrl, logger) : undefined;
  const auth = createAuthService({ db: database.prisma, system: database.system.prisma, pool: database.pool, tokens, tenants, sessions });
  // Typing, presence and read receipts: the StreamSignals the live stream calls.
  const presence = createPresenceService({ database, logger, settings: config.presence });
  const signals: StreamSignals = deps.signals ?? presence;
  const stream = createStreamService({
    db: database.prisma,
    system: database.system,
    databaseUrl: database.url,
    logger,
    auth,
    settings: config.stream,
    pollMs: config.eventFeedPollMs,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    signals,
    ticketTtlSeconds: config.stream.ticketTtlSeconds,
  });
  // SLA clocks ride along every ticket change (ticket-sla.ts); configuration and reports in sla.
  const now = deps.now ?? Date.now;
  const ticketSla = createTicketSla({ now });
  const comments = createCommentService(database.prisma, ticketSla);
  const tickets = createTicketService(database.prisma, database.pool, ticketSla);
  const attachments = createAttachmentService({ db: database.prisma, system: database.system.prisma, storage, limits: config.attachments, logger });
  // Email: the transport (SMTP or the outbox), and the signed reply addresses that route replies back.
  const mailer = createMailer(config.mail, logger);
  const replyAddresses = createReplyAddresses(deriveKey(config.jwtSecret, "reply-address"), config.mail.inbound.domain);
  const unsubscribeTokens = createUnsubscribeTokens(deriveKey(config.jwtSecret, "unsubscribe"));
  const notifications = createNotificationService({ db: database.prisma, pool: database.pool });
  // New notifications, from whichever instance's consumer made them, to this instance's sockets of their owner.
  const notificationPushes = listen(database.url, database.pool, NOTIFICATIONS_CHANNEL, (payload) => {
    const push = decodePush(payload);
    if (push) stream.hub.sendToUser(push.tenantId, push.userId, { type: "notification", notification: push.notification, unreadCount: push.unreadCount });
  }, logger);
  const widget = createWidgetService({
    db: database.prisma,
    system: database.system.prisma,
    // Its own key, derived from WEBHOOK_SECRET_KEY: a widget secret never opens with a webhook's key.
    secrets: createSecretBox(`${config.webhooks.secretKey}:widget-identity`),
    openSession: auth.openWidgetSession,
    sessionsEnded: (change) => sessions.invalidate(change),
    staffOnline: presence.staffOnline,
    limits: config.widget,
  });
  // Article views: counted in memory (or Redis), added to the articles in batches (see view-counter.ts).
  const articleViews = createViewCounter({ system: database.system.pool, redis, flushMs: config.helpCenter.viewFlushMs, logger });
  // The model behind triage, summaries and QA reviews: local NLP unless AI_BASE_URL is set.
  const ai = createAiProvider(config.ai);
  return {
    config,
    contract,
    database,
    logger,
    storage,
    widget,
    ai,
    triage: createTriageService(database.prisma),
    summaries: createSummaryService({ db: database.prisma, provider: ai }),
    qaReviews: createQaReviewService({ db: database.prisma, provider: ai }),
    mailer,
    replyAddresses,
    accounts: createAccountService({ db: database.prisma, system: database.system.prisma, tokens, sessions, invitationTtlSeconds: config.mail.invitationTtlSeconds }),
    inboundEmail: createInboundEmailService({ db: database.prisma, system: database.system.prisma, secret: config.mail.inbound.secret, replyAddresses, comments, attachments, logger }),
    tenants,
    auth,
    stream,
    users: createUserService(database.prisma, sessions),
    // The operator's work spans tenants: it is one of the few users of database.system.
    platform: createPlatformService(database.system.prisma, tenants, sessions),
    tickets,
    helpCenter: createHelpCenterService({ db: database.prisma, tickets, views: articleViews, terms: createTermStats(database.prisma, logger) }),
    // The public help center finds its tenant by slug, before any tenant is in scope.
    publicTenants: createPublicTenants(database.system.prisma),
    articleViews,
    sla: createSlaService(database.prisma),
    ticketSla,
    now,
    groups: createGroupService(database.prisma),
    routingRules: createRoutingRuleService(database.prisma),
    macros: createMacroService({ db: database.prisma, tickets, comments }),
    comments,
    events: createEventService(database.prisma),
    // An export holds a connection while its client reads: at most half the pool goes to exports.
    exports: createExportService({
      db: database.prisma,
      pool: database.pool,
      slots: createExportSlots({ perTenant: 2, total: Math.max(2, Math.ceil(config.database.poolSize / 2)) }),
    }),
    reports: createReportService(database.prisma),
    attachments,
    localObjects: createLocalObjectService(storage),
    webhooks: createWebhookService({ db: database.prisma, secrets: webhookSecrets, addressPolicy: config.webhooks }),
    webhookSecrets,
    apiKeys: createApiKeyService({
      db: database.prisma,
      system: database.system.pool,
      logger,
      cache: apiKeyCache,
      environment: config.apiKeyEnvironment,
      scopesByRole: scopesByRole(contract.operations.values()),
    }),
    metrics: createMetrics(database, { openWebSockets: () => stream.hub.size() }),
    redis,
    presence,
    notifications,
    unsubscribeTokens,
    unsubscribes: createUnsubscribeService({ system: database.system.prisma, tokens: unsubscribeTokens, notifications }),
    /** Stops what the services hold open (not the database, which the caller owns). */
    async close(): Promise<void> {
      // First, while the database is still there: the views counted since the last flush.
      await articleViews.close().catch((error: unknown) => logger.warn({ err: error }, "could not add the last help-center views to their articles"));
      await stream.close();
      await signals.close();
      if (signals !== presence) await presence.close();
      await sessionChanges.close();
      mailer.close();
      await notificationPushes.close();
      if (redis) await closeRedis(redis);
    },
  };
}

export type Services = ReturnType<typeof createServices>;
