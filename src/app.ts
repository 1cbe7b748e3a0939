// buildApp(deps): the whole API as a Fastify instance, from explicit dependencies. Tests build
// exactly this with test options; only src/server.ts reads the environment and listens.
import crypto from "node:crypto";
import Fastify, { LogController, type FastifyInstance, type FastifyRequest, type RouteOptions } from "fastify";
import rateLimit from "@fastify/rate-limit";
import openapiGlue from "fastify-openapi-glue";
import type { Config } from "./config.ts";
import type { Logger } from "./logger.ts";
import type { Services } from "./services.ts";
import { loadContract, type Contract, type OperationId, type OperationInfo } from "./core/contract.ts";
import type { Handlers } from "./core/contract-types.ts";
import { problems } from "./core/problem.ts";
import { registerAuthentication } from "./http/authentication.ts";
import { registerErrorHandling } from "./http/errors.ts";
import { registerRequestBodyCheck } from "./http/request-body.ts";
import { createValidatorCompiler } from "./http/validation.ts";
import { registerDocs } from "./http/docs.ts";
import { registerMultipart, multipartFiles } from "./http/multipart.ts";
import { registerRawUploadParser } from "./http/raw-upload.ts";
import { originResolver } from "./http/origin.ts";
import { authHandlers } from "./modules/auth/handlers.ts";
import { tenantHandlers } from "./modules/tenant/handlers.ts";
import { userHandlers } from "./modules/users/handlers.ts";
import { platformHandlers } from "./modules/platform/handlers.ts";
import { systemHandlers } from "./modules/system/handlers.ts";
import { ticketHandlers } from "./modules/tickets/handlers.ts";
import { commentHandlers } from "./modules/comments/handlers.ts";
import { eventHandlers } from "./modules/events/handlers.ts";
import { attachmentHandlers } from "./modules/attachments/handlers.ts";
import { webhookHandlers } from "./modules/webhooks/handlers.ts";

export interface AppDeps {
  config: Config;
  logger: Logger;
  services: Services;
  contract?: Contract;
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
  const { config, logger, services } = deps;
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

  const handlers = {
    ...systemHandlers(contract, services.database.pool),
    ...authHandlers(services.auth),
    ...tenantHandlers(services.tenants),
    ...userHandlers(services.users),
    ...platformHandlers(services.platform),
    ...ticketHandlers(services.tickets, services.events),
    ...commentHandlers(services.comments),
    ...eventHandlers(services.events),
    ...attachmentHandlers(services.attachments, services.localObjects, { originOf: originResolver(config.publicUrl), filesOf: multipartFiles }),
    ...webhookHandlers(services.webhooks),
  } satisfies Handlers;
  checkHandlersMatchContract(handlers, contract);

  registerAuthentication(app, { authenticateUser: services.auth.authenticate, operatorToken: config.platformOperatorToken });

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

  return app;
}
