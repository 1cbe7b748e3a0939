// buildApp(deps): the whole API as a Fastify instance, from explicit dependencies. Tests build
// exactly this with test options; only src/server.ts reads the environment and listens.
import crypto from "node:crypto";
import Fastify, { LogController, type FastifyInstance, type FastifyRequest, type RouteOptions } from "fastify";
import fastifyJwt from "@fastify/jwt";
import rateLimit from "@fastify/rate-limit";
import openapiGlue from "fastify-openapi-glue";
import type { Config } from "./config.ts";
import type { DatabaseHandle } from "./db/client.ts";
import type { Logger } from "./logger.ts";
import { loadContract, type Contract, type OperationId, type OperationInfo } from "./http/contract.ts";
import type { Handlers } from "./http/contract-types.ts";
import { registerAuthentication } from "./http/authentication.ts";
import { registerErrorHandling } from "./http/errors.ts";
import { registerRequestBodyCheck } from "./http/request-body.ts";
import { problems } from "./http/problem.ts";
import { purgeExpiredIdempotencyKeys } from "./http/idempotency.ts";
import { createValidatorCompiler } from "./http/validation.ts";
import { registerDocs } from "./http/docs.ts";
import { createTokenIssuer } from "./modules/auth/tokens.ts";
import { createAuthService } from "./modules/auth/service.ts";
import { createSessionCache } from "./modules/auth/session-cache.ts";
import { listen } from "./db/notifications.ts";
import { authHandlers } from "./modules/auth/handlers.ts";
import { createTenantService } from "./modules/tenant/service.ts";
import { tenantHandlers } from "./modules/tenant/handlers.ts";
import { createUserService } from "./modules/users/service.ts";
import { userHandlers } from "./modules/users/handlers.ts";
import { createPlatformService } from "./modules/platform/service.ts";
import { platformHandlers } from "./modules/platform/handlers.ts";
import { systemHandlers } from "./modules/system/handlers.ts";
import { createTicketService } from "./modules/tickets/service.ts";
import { ticketHandlers } from "./modules/tickets/handlers.ts";
import { createCommentService } from "./modules/comments/service.ts";
import { commentHandlers } from "./modules/comments/handlers.ts";
import { createEventService } from "./modules/events/service.ts";
import { eventHandlers } from "./modules/events/handlers.ts";
import { createAttachmentService } from "./modules/attachments/service.ts";
import { createLocalObjectService } from "./modules/attachments/local-objects.ts";
import { attachmentHandlers } from "./modules/attachments/handlers.ts";
import { registerMultipart } from "./http/multipart.ts";
import { registerRawUploadParser } from "./http/raw-upload.ts";
import { originResolver } from "./http/origin.ts";
import { createStorage } from "./storage/create-storage.ts";
import type { ObjectStorage } from "./storage/object-storage.ts";

export interface AppDeps {
  config: Config;
  database: DatabaseHandle;
  logger: Logger;
  contract?: Contract;
  /** Default: the driver the configuration names (see src/storage/create-storage.ts). */
  storage?: ObjectStorage;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

function requestIdOf(request: { headers: Record<string, string | string[] | undefined> }): string {
  const given = request.headers["x-request-id"];
  return typeof given === "string" && REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

/** Per operation: which rate-limit bucket applies. Sign-up and log-in are guessable, so stricter. */
function rateLimitOf(operation: OperationInfo, config: Config): false | { max: number } | undefined {
  if (!operation.path.startsWith("/v1/")) return false; // probes and the document
  // Public operations outside /v1/auth (local storage's signed URLs) carry their own proof.
  if (operation.authentication === "public" && operation.path.startsWith("/v1/auth/")) return { max: config.rateLimit.authPerMinute };
  return undefined; // the global limit
}

/**
 * The document the routes are built from: streamed bodies (multipart files, raw uploads) are
 * read by their handlers, so their schemas (kept in openapi.yaml for docs and the SDK) are not
 * given to Fastify to validate a body that is never parsed.
 */
function routingSpecification(contract: Contract): Record<string, unknown> {
  const document = structuredClone(contract.document) as { paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: unknown }> } }>> };
  for (const pathItem of Object.values(document.paths)) {
    for (const operation of Object.values(pathItem)) {
      for (const [mediaType, content] of Object.entries(operation?.requestBody?.content ?? {})) {
        if (mediaType === "multipart/form-data" || mediaType === "*/*") delete content.schema;
      }
    }
  }
  return document;
}

/** Housekeeping on a timer that never keeps the process alive and stops with the app. */
function runPeriodically(app: FastifyInstance, everyMs: number, what: string, job: () => Promise<unknown>): void {
  const timer = setInterval(() => {
    job().catch((error: unknown) => app.log.warn({ err: error }, `${what} failed`));
  }, everyMs);
  timer.unref();
  app.addHook("onClose", async () => clearInterval(timer));
}

/** Fails start-up unless handlers and contract operations match one to one. */
export function checkHandlersMatchContract(handlers: Record<string, unknown>, contract: Contract): void {
  const operationIds = new Set<string>(contract.operations.keys());
  const unhandled = [...operationIds].filter((id) => typeof handlers[id] !== "function");
  const undocumented = Object.keys(handlers).filter((id) => !operationIds.has(id));
  if (unhandled.length > 0 || undocumented.length > 0) {
    throw new Error(
      [unhandled.length > 0 && `operations without a handler: ${unhandled.join(", ")}`, undocumented.length > 0 && `handlers not in openapi.yaml: ${undocumented.join(", ")}`]
        .filter(Boolean)
        .join("; "),
    );
  }
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, database, logger } = deps;
  const contract = deps.contract ?? loadContract();

  const app = Fastify({
    loggerInstance: logger,
    // One line per request, written by our onResponse hook (winston cannot take Fastify's raw
    // request objects); each line of a request carries its `requestId`.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: "requestId" }),
    genReqId: requestIdOf,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    return503OnClosing: true,
  });
  app.setValidatorCompiler(createValidatorCompiler());
  // JSON is the only body the API parses (attachments add multipart where the contract says so).
  app.removeContentTypeParser("text/plain");

  await app.register(fastifyJwt, {
    secret: config.jwtSecret,
    sign: { iss: "docket", algorithm: "HS256" },
    verify: { allowedIss: "docket", algorithms: ["HS256"] },
  });

  const tokens = createTokenIssuer(app.jwt, config);
  const tenants = createTenantService(database.prisma);
  // Revocations reach every instance's session cache through LISTEN/NOTIFY.
  const sessionChanges = listen(database.url, database.pool, "docket_session_changes", () => sessions.forget(), logger);
  const sessions = createSessionCache(config.sessionCacheTtlSeconds * 1000, {
    onInvalidate: () => sessionChanges.publish("").catch((error: unknown) => logger.warn({ err: error }, "could not announce a session change")),
  });
  const auth = createAuthService({ db: database.prisma, pool: database.pool, tokens, tenants, sessions });
  const users = createUserService(database.prisma, sessions);
  const platform = createPlatformService(database.prisma, tenants, sessions);
  const tickets = createTicketService(database.prisma, database.pool);
  const comments = createCommentService(database.prisma);
  const events = createEventService(database.prisma);
  const storage = deps.storage ?? createStorage(config);
  const attachments = createAttachmentService({ db: database.prisma, storage, limits: config.attachments, logger });
  const localObjects = createLocalObjectService(storage);

  const handlers = {
    ...systemHandlers(contract, database.pool),
    ...authHandlers(auth),
    ...tenantHandlers(tenants),
    ...userHandlers(users),
    ...platformHandlers(platform),
    ...ticketHandlers(tickets, events),
    ...commentHandlers(comments),
    ...eventHandlers(events),
    ...attachmentHandlers(attachments, localObjects, originResolver(config.publicUrl)),
  } satisfies Handlers;
  checkHandlersMatchContract(handlers, contract);

  app.addHook("onClose", async () => sessionChanges.close());
  registerAuthentication(app, { authenticateUser: auth.authenticate, operatorToken: config.platformOperatorToken });

  await app.register(rateLimit, {
    global: true,
    max: config.rateLimit.perMinute,
    timeWindow: "1 minute",
    enableDraftSpec: true, // RateLimit-Limit / -Remaining / -Reset, and Retry-After on 429
    keyGenerator: (request: FastifyRequest) => {
      const principal = request.principal;
      return principal?.kind === "user" ? `user:${principal.tenantId}:${principal.userId}` : `ip:${request.ip}`;
    },
    errorResponseBuilder: (_request, context) => problems.tooManyRequests(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
  registerErrorHandling(app);
  registerRequestBodyCheck(app, contract);
  await registerMultipart(app);
  registerRawUploadParser(app, contract);
  await registerDocs(app, contract);

  await app.register(openapiGlue, {
    specification: routingSpecification(contract),
    // The glue warns that response-only media types (problem+json, yaml) have no body parser;
    // they are not meant to have one. Its routes get the app's level back below.
    logLevel: "error",
    operationResolver: (operationId: string) => {
      const operation = contract.operations.get(operationId as OperationId);
      if (!operation) throw new Error(`Operation ${operationId} is not in the contract`);
      // The glue merges these into the route it builds (method, url and schema come from the
      // contract); its type declaration asks for a whole RouteOptions.
      return {
        handler: handlers[operation.operationId],
        logLevel: config.logLevel,
        config: {
          operationId: operation.operationId,
          authentication: operation.authentication,
          roles: operation.roles,
          rateLimit: rateLimitOf(operation, config),
        },
      } as unknown as RouteOptions;
    },
  });

  app.addHook("onSend", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });
  app.addHook("onResponse", async (request, reply) => {
    const principal = request.principal;
    request.log.info(
      {
        method: request.method,
        path: request.url.split("?")[0],
        operationId: request.routeOptions.config.operationId,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
        tenantId: principal?.kind === "user" ? principal.tenantId : undefined,
        userId: principal?.kind === "user" ? principal.userId : undefined,
      },
      "request",
    );
  });

  // Presigned uploads never registered are deleted once expired; checked about as often as one
  // can expire, at most every minute.
  runPeriodically(app, Math.min(60_000, config.attachments.uploadUrlTtlSeconds * 1000), "sweeping expired uploads", () => attachments.sweepExpiredUploads());
  // Idempotency keys live 24 hours; an hourly purge keeps the table to about a day of writes.
  runPeriodically(app, 60 * 60 * 1000, "purging idempotency keys", () => purgeExpiredIdempotencyKeys(database.prisma));

  return app;
}
