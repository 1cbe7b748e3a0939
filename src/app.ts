// buildApp(deps): the whole API as a Fastify instance, from explicit dependencies. Tests build
// exactly this with test options; only src/server.ts reads the environment and listens.
import Fastify, { LogController, type FastifyInstance, type RouteOptions } from "fastify";
import openapiGlue from "fastify-openapi-glue";
import type { Config } from "./config.ts";
import type { Logger } from "./logger.ts";
import type { Services } from "./services.ts";
import type { Contract, OperationId } from "./core/contract.ts";
import type { Handlers } from "./core/contract-types.ts";
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
import { registerGracefulClose } from "./http/graceful-close.ts";
import { registerRateLimit, rateLimitOf } from "./http/rate-limit.ts";
import { registerRequestLog, requestIdOf } from "./http/request-log.ts";
import { registerRequestMetrics } from "./http/metrics.ts";
import { routingSpecification } from "./http/routing-specification.ts";
import { authHandlers } from "./modules/auth/handlers.ts";
import { tenantHandlers } from "./modules/tenant/handlers.ts";
import { userHandlers } from "./modules/users/handlers.ts";
import { platformHandlers } from "./modules/platform/handlers.ts";
import { systemHandlers } from "./modules/system/handlers.ts";
import { ticketHandlers } from "./modules/tickets/handlers.ts";
import { commentHandlers } from "./modules/comments/handlers.ts";
import { presenceHandlers } from "./modules/presence/handlers.ts";
import { eventHandlers } from "./modules/events/handlers.ts";
import { attachmentHandlers } from "./modules/attachments/handlers.ts";
import { webhookHandlers } from "./modules/webhooks/handlers.ts";
import { streamHandlers, streamSocketHandler } from "./modules/stream/handlers.ts";
import { createClientMessageParser } from "./modules/stream/client-messages.ts";
import { registerWebsocket } from "./http/websocket.ts";
import { apiKeyHandlers } from "./modules/api-keys/handlers.ts";
import { accountHandlers } from "./modules/accounts/handlers.ts";
import { inboundEmailHandlers } from "./modules/inbound-email/handlers.ts";
import { registerMessageBodyParser } from "./http/message-body.ts";
import { notificationEmailHandlers } from "./modules/notification-emails/handlers.ts";
import { notificationHandlers } from "./modules/notifications/handlers.ts";
import { widgetHandlers } from "./modules/widget/handlers.ts";
import { loadWidgetAssets, type WidgetAssets } from "./modules/widget/assets.ts";
import { registerWidgetMessageLimit } from "./http/widget-messages.ts";
import { helpCenterHandlers } from "./modules/help-center/handlers.ts";
import { slaHandlers } from "./modules/sla/handlers.ts";
import { groupHandlers } from "./modules/groups/handlers.ts";
import { routingRuleHandlers } from "./modules/routing/handlers.ts";
import { macroHandlers } from "./modules/macros/handlers.ts";
import { triageHandlers } from "./modules/triage/handlers.ts";
import { summaryHandlers } from "./modules/summaries/handlers.ts";
import { qaReviewHandlers } from "./modules/qa-reviews/handlers.ts";
import { exportHandlers } from "./modules/exports/handlers.ts";
import { reportHandlers } from "./modules/reports/handlers.ts";

export interface AppDeps {
  config: Config;
  logger: Logger;
  services: Services;
  /** Default: the one the services loaded. */
  contract?: Contract;
  /** The widget's built browser code; default: widget/dist. */
  widgetAssets?: WidgetAssets;
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
  const contract = deps.contract ?? services.contract;

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
    ...systemHandlers(contract, services.database.pool, services.metrics.registry),
    ...authHandlers(services.auth),
    ...tenantHandlers(services.tenants),
    ...userHandlers(services.users),
    ...platformHandlers(services.platform),
    ...ticketHandlers(services.tickets, services.events),
    ...triageHandlers(services.triage),
    ...summaryHandlers(services.summaries),
    ...qaReviewHandlers(services.qaReviews),
    ...commentHandlers(services.comments),
    ...presenceHandlers(services.presence),
    ...eventHandlers(services.events),
    ...attachmentHandlers(services.attachments, services.localObjects, { originOf: originResolver({ publicUrl: config.publicUrl, listenHost: config.host, allowedHosts: config.allowedHosts, signsOwnLinks: config.storage.driver === "local" }), filesOf: multipartFiles }),
    ...webhookHandlers(services.webhooks),
    ...streamHandlers(services.stream),
    ...apiKeyHandlers(services.apiKeys),
    ...accountHandlers(services.accounts),
    ...inboundEmailHandlers(services.inboundEmail),
    ...notificationEmailHandlers(services.unsubscribes),
    ...notificationHandlers(services.notifications),
    ...widgetHandlers(services.widget, deps.widgetAssets ?? loadWidgetAssets()),
    ...helpCenterHandlers(services.helpCenter, services.publicTenants),
    ...slaHandlers(services.sla),
    ...groupHandlers(services.groups),
    ...routingRuleHandlers(services.routingRules),
    ...macroHandlers(services.macros),
    ...exportHandlers(services.exports),
    ...reportHandlers(services.reports),
  } satisfies Handlers;
  /** Operations that are WebSockets: their upgraded sockets go here (their handler answers plain requests). */
  const socketHandlers: Partial<Record<OperationId, ReturnType<typeof streamSocketHandler>>> = { getStream: streamSocketHandler(services.stream) };
  services.stream.hub.useParser(createClientMessageParser(contract.document));
  checkHandlersMatchContract(handlers, contract);
  registerGracefulClose(app);

  // First: its onRequest hook marks upgrade requests, so that a refused upgrade (401, 429…) has
  // its socket closed after the problem is sent; and before the routes, which it turns into
  // WebSocket endpoints where they have a wsHandler.
  await registerWebsocket(app, { maxPayloadBytes: config.stream.maxMessageBytes * 4, beforeClose: () => services.stream.hub.shutdown() });
  // Before authentication: a preflight carries no credentials and is answered at once.
  await registerCors(app, config.corsOrigins);
  await registerHelmet(app);
  registerNoStore(app, contract);
  // Before authentication, so an address that keeps failing is stopped before its tokens are checked.
  registerAuthFailureLimit(app, { max: config.rateLimit.authPerMinute, redis: services.redis });
  registerAuthentication(app, { authenticateUser: services.auth.authenticate, authenticateApiKey: services.apiKeys.authenticate, authenticateStream: services.stream.authenticate, operatorToken: config.platformOperatorToken, metricsToken: config.metricsToken });

  await registerRateLimit(app, config, services.redis);
  registerErrorHandling(app);
  registerWidgetMessageLimit(app, config.widget.maxMessageLength);
  registerDotSegmentCheck(app);
  registerRequestBodyCheck(app, contract);
  await registerMultipart(app);
  registerRawUploadParser(app, contract);
  registerMessageBodyParser(app, config.mail.inbound.maxBytes);
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
        ...(socketHandlers[operation.operationId] ? { wsHandler: socketHandlers[operation.operationId] } : {}),
        config: {
          operationId: operation.operationId,
          authentication: operation.authentication,
          roles: operation.roles,
          scopes: operation.scopes,
          widget: operation.widget,
          rateLimitPolicy: rateLimitOf(operation),
        },
      } as unknown as RouteOptions;
    },
  });

  registerRequestLog(app);
  registerRequestMetrics(app, services.metrics);

  return app;
}
