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

export interface ServiceDeps {
  config: Config;
  database: DatabaseHandle;
  logger: Logger;
  /** Default: the driver the configuration names (see src/storage/create-storage.ts). */
  storage?: ObjectStorage;
}

export function createServices(deps: ServiceDeps) {
  const { config, database, logger } = deps;
  const tokens = createTokenIssuer(config);
  const tenants = createTenantService(database.prisma);
  // Revocations reach every instance's session cache through LISTEN/NOTIFY.
  const sessionChanges = listen(database.url, database.pool, "docket_session_changes", () => sessions.forget(), logger);
  const sessions = createSessionCache(config.sessionCacheTtlSeconds * 1000, {
    onInvalidate: () => sessionChanges.publish("").catch((error: unknown) => logger.warn({ err: error }, "could not announce a session change")),
  });
  const storage = deps.storage ?? createStorage(config);
  const webhookSecrets = createSecretBox(config.webhooks.secretKey);
  return {
    config,
    database,
    logger,
    storage,
    tenants,
    auth: createAuthService({ db: database.prisma, system: database.system.prisma, pool: database.pool, tokens, tenants, sessions }),
    users: createUserService(database.prisma, sessions),
    // The operator's work spans tenants: it is one of the few users of database.system.
    platform: createPlatformService(database.system.prisma, tenants, sessions),
    tickets: createTicketService(database.prisma, database.pool),
    comments: createCommentService(database.prisma),
    events: createEventService(database.prisma),
    attachments: createAttachmentService({ db: database.prisma, system: database.system.prisma, storage, limits: config.attachments, logger }),
    localObjects: createLocalObjectService(storage),
    webhooks: createWebhookService({ db: database.prisma, secrets: webhookSecrets, addressPolicy: config.webhooks }),
    webhookSecrets,
    metrics: createMetrics(database),
    /** Stops what the services hold open (not the database, which the caller owns). */
    async close(): Promise<void> {
      await sessionChanges.close();
    },
  };
}

export type Services = ReturnType<typeof createServices>;
