// Request ids and the one log line per request. Each line of a request carries its `requestId`:
// the caller's X-Request-Id when it is safe to log, else a new UUID; echoed back on the response.
import crypto from "node:crypto";
import type { FastifyInstance } from "fastify";

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export function requestIdOf(request: { headers: Record<string, string | string[] | undefined> }): string {
  const given = request.headers["x-request-id"];
  return typeof given === "string" && REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

export function registerRequestLog(app: FastifyInstance): void {
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
        tenantId: principal?.kind === "user" || principal?.kind === "api_key" ? principal.tenantId : undefined,
        userId: principal?.kind === "user" ? principal.userId : undefined,
        // Not "apiKeyId": the logger redacts every field named like an API key, and the id is no secret.
        keyId: principal?.kind === "api_key" ? principal.apiKeyId : undefined,
      },
      "request",
    );
  });
}
