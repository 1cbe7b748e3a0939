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
import { registerAuthFailureLimit } from "./http/auth-failure-limit.ts";
import { clientErrorHandler, frameworkErrorHandler, registerErrorHandling } from "./http/errors.ts";
import { registerRequestBodyCheck } from "./http/request-body.ts";
import { registerJsonBodyParser } from "./http/json-body.ts";
import { registerDotSegmentCheck } from "./http/dot-segments.ts";
import { createValidatorCompiler } from "./http/validation.ts";
import { registerDocs } from "./http/docs.ts";
import { registerMultipart, multipartFiles } from "./http/multipart.ts";
import { registerRawUploadParser } from "./http/raw-upload.ts";
import { originResolver } from "./http/origin.ts";
import { registerCors } from "./http/cors.ts";
import { registerHelmet } from "./http/helmet.ts";
import { registerNoStore } from "./http/no-store.ts";
import { authHandlers } from "./modules/auth/handlers.ts";
import { tenantHandlers } from "./modules/tenant/handlers.ts";
import { userHandlers } from "./modules/users/handlers.ts";
import { platformHandlers } from "./modules/platform/handlers.ts";
import { systemHandlers } from "./modules/system/handlers.ts";
import { ticketHandlers } from "./modules/tickets/handlers.ts";
import { commentHandlers } from "./modules/comments/handlers.ts";
import { eventHandlers } from "./modules/events/handlers.ts";
import { attachmentHandlers } from "./modules/attachments/handlers.ts";

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

/** Media types whose bodies Fastify parses (requests) or serializes from a schema (responses). */
const ROUTED_MEDIA_TYPES = new Set(["application/json"]);

type RoutedContent = Record<string, { schema?: unknown }>;
interface RoutedResponse {
  $ref?: string;
  content?: RoutedContent;
}
interface RoutedOperation {
  requestBody?: { content?: RoutedContent };
  responses?: Record<string, RoutedResponse>;
}

/** Keeps only the routed media types of a content map; false when none is left. */
function keepRouted(content: RoutedContent): boolean {
  for (const mediaType of Object.keys(content)) if (!ROUTED_MEDIA_TYPES.has(mediaType)) delete content[mediaType];
  return Object.keys(content).length > 0;
}

/**
 * The document the routes are built from: only what Fastify itself parses and serializes. The
 * glue registers every media type it sees and warns about each without a body parser, so the
 * others stay in openapi.yaml (for docs and the SDK) but not here: streamed request bodies
 * (multipart files, raw uploads of any type) are read by their handlers, and the request-body check
 * enforces media types from the contract; problem documents, YAML and files are sent ready-made.
 */
function routingSpecification(contract: Contract): Record<string, unknown> {
  const document = structuredClone(contract.document) as {
    paths: Record<string, Record<string, RoutedOperation>>;
    components?: { responses?: Record<string, RoutedResponse> };
  };
  const shared = (ref: string) => structuredClone(document.components?.responses?.[ref.replace("#/components/responses/", "")] ?? {});
  for (const pathItem of Object.values(document.paths)) {
    for (const operation of Object.values(pathItem)) {
      if (typeof operation !== "object" || operation === null) continue;
      if (operation.requestBody?.content && !keepRouted(operation.requestBody.content)) delete operation.requestBody;
      for (const [status, given] of Object.entries(operation.responses ?? {})) {
        const response = given.$ref ? shared(given.$ref) : given;
        if (response.content && !keepRouted(response.content)) delete response.content;
        operation.responses![status] = response;
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
    // Errors raised before a route runs (bad URL encoding, an over-long path parameter, requests
    // the HTTP parser refuses) are problems too, not Fastify's own JSON.
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
  });
  app.setValidatorCompiler(createValidatorCompiler());
  // JSON is the only body the API parses (attachments add multipart where the contract says so).
  app.removeContentTypeParser("text/plain");
  registerJsonBodyParser(app);

  const handlers = {
    ...systemHandlers(contract, services.database.pool),
    ...authHandlers(services.auth),
    ...tenantHandlers(services.tenants),
    ...userHandlers(services.users),
    ...platformHandlers(services.platform),
    ...ticketHandlers(services.tickets, services.events),
    ...commentHandlers(services.comments),
    ...eventHandlers(services.events),
    ...attachmentHandlers(services.attachments, services.localObjects, { originOf: originResolver({ publicUrl: config.publicUrl, listenHost: config.host, allowedHosts: config.allowedHosts, signsOwnLinks: config.storage.driver === "local" }), filesOf: multipartFiles }),
  } satisfies Handlers;
  checkHandlersMatchContract(handlers, contract);

  // Before authentication: a preflight carries no credentials and is answered at once.
  await registerCors(app, config.corsOrigins);
  await registerHelmet(app);
  registerNoStore(app, contract);
  // Before authentication, so an address that keeps failing is stopped before its tokens are checked.
  registerAuthFailureLimit(app, { max: config.rateLimit.authPerMinute, windowMs: 60_000 });
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
  registerDotSegmentCheck(app);
  registerRequestBodyCheck(app, contract);
  await registerMultipart(app);
  registerRawUploadParser(app, contract);
  await registerDocs(app, contract);

  await app.register(openapiGlue, {
    specification: routingSpecification(contract),
    operationResolver: (operationId: string) => {
      const operation = contract.operations.get(operationId as OperationId);
      if (!operation) throw new Error(`Operation ${operationId} is not in the contract`);
      // The glue merges these into the route it builds (method, url and schema come from the
      // contract); its type declaration asks for a whole RouteOptions.
      return {
        handler: handlers[operation.operationId],
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
