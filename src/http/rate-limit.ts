// @fastify/rate-limit: per user or API key when authenticated, per address otherwise, with the draft
// RateLimit-* headers and Retry-After; a 429 is a problem like any other error.
import type { FastifyInstance, FastifyRequest } from "fastify";
import rateLimit from "@fastify/rate-limit";
import type { Config } from "../config.ts";
import type { OperationInfo } from "../core/contract.ts";
import { problems } from "../core/problem.ts";

/** Per operation: which rate-limit bucket applies. Sign-up and log-in are guessable, so stricter. */
export function rateLimitOf(operation: OperationInfo, limits: Config["rateLimit"]): false | { max: number } | undefined {
  if (!operation.path.startsWith("/v1/")) return false; // probes and the document
  // Public operations outside /v1/auth (local storage's signed URLs) carry their own proof.
  if (operation.authentication === "public" && operation.path.startsWith("/v1/auth/")) return { max: limits.authPerMinute };
  return undefined; // the global limit
}

export async function registerRateLimit(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    max: config.rateLimit.perMinute,
    timeWindow: "1 minute",
    enableDraftSpec: true, // RateLimit-Limit / -Remaining / -Reset, and Retry-After on 429
    keyGenerator: (request: FastifyRequest) => {
      const principal = request.principal;
      if (principal?.kind === "user") return `user:${principal.tenantId}:${principal.userId}`;
      // A key has its own quota: an integration's burst does not spend its creator's.
      if (principal?.kind === "api_key") return `api_key:${principal.tenantId}:${principal.apiKeyId}`;
      return `ip:${request.ip}`;
    },
    errorResponseBuilder: (_request, context) => problems.tooManyRequests(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
}
