// Rate limits, counted in Redis when REDIS_URL is set (so every instance shares one count, and a
// restart resets nothing) and in memory otherwise:
// - "default": per principal (a user's session, an API key: each its own partition) or per
//   address when anonymous, on every /v1 operation;
// - "tenant": a quota per tenant on top, shared by all of its principals;
// - "visitor": a chat widget visitor's own, tighter limit (WIDGET_VISITOR_PER_MINUTE), on top;
// - "sign-in": stricter, per address and per operation, on the public /v1/auth operations and
//   on chat widget sessions;
// - "public-write": per address and per operation, on the anonymous writes of /v1/public (votes).
// Responses carry the draft's RateLimit-Policy and RateLimit fields (./rate-limit-fields.ts).
//
// Redis down: "default" and "tenant" fail open (the request goes through without RateLimit
// fields, and a warning is logged): they share capacity fairly, and refusing every request
// because their counter is away would turn a Redis outage into an API outage. "sign-in" guards
// passwords, so it neither opens nor closes: rate-limiter-flexible's insurance limiter keeps
// counting in this instance's memory until Redis is back (@fastify/rate-limit can only skip or
// fail, hence the second library for the security limits; see also ./auth-failure-limit.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import rateLimit, { normalizeIP } from "@fastify/rate-limit";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { DEFAULT_PUBLIC_WRITES_PER_MINUTE, type Config } from "../config.ts";
import type { OperationInfo } from "../core/contract.ts";
import type { Principal } from "../core/principal.ts";
import { connectRedis, type Redis } from "../redis.ts";
import { quotaExceeded, setRateLimitFields, type Quota } from "./rate-limit-fields.ts";

export type RateLimitPolicy = "default" | "sign-in" | "public-write";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Which limit an operation counts against; false: none (probes, the document). Default: "default". */
    rateLimitPolicy?: RateLimitPolicy | false;
  }
}

const WINDOW_SECONDS = 60;
/** Keys in Redis start with this, so Docket can share a Redis with other applications. */
export const REDIS_KEY_PREFIX = "docket:rate-limit:";

/** Per operation: which limit applies. Sign-up and log-in are guessable, so stricter. */
export function rateLimitOf(operation: OperationInfo): RateLimitPolicy | false {
  if (!operation.path.startsWith("/v1/")) return false; // probes and the document
  // Public operations outside /v1/auth (local storage's signed URLs) carry their own proof.
  if (operation.authentication === "public" && operation.path.startsWith("/v1/auth/")) return "sign-in";
  // Each anonymous chat session is a new user: per address, as strictly as sign-up.
  if (operation.operationId === "createWidgetSession") return "sign-in";
  // Anonymous votes (PUT) are cheap to forge with fresh visitor ids: a limit of their own per
  // address. Public reads (and POSTs that only read, like suggestions) count as "default".
  if (operation.authentication === "public" && operation.path.startsWith("/v1/public/") && operation.method === "PUT") return "public-write";
  return "default";
}

/**
 * The client's address as limits count it: an IPv6 client usually holds a whole /64, so the /64
 * is one address (else it could take a fresh quota per request).
 */
export function addressOf(request: FastifyRequest): string {
  return normalizeIP(request.ip);
}

/**
 * The partition of the "default" limit: each principal its own (`user:<id>`, and any other kind
 * as `<kind>:<id>`, e.g. `api_key:<id>`), the address for anonymous requests.
 */
export function partitionOf(principal: Principal | null, address: string): string {
  if (principal === null) return `address:${address}`;
  if (principal.kind === "user") return `user:${principal.userId}`;
  if (principal.kind === "operator") return "operator";
  // A key has its own quota: an integration's burst does not spend its creator's.
  return `api_key:${principal.apiKeyId}`;
}

/** The tenant a principal acts for, if any (users and API keys do; the operator does not). */
export function tenantOf(principal: Principal | null): string | undefined {
  return principal === null || principal.kind === "operator" ? undefined : principal.tenantId;
}

/** One limit: counts this request in its partition, or throws when its store is unreachable. */
interface Limiter {
  take(request: FastifyRequest): Promise<Quota | undefined>;
}

function pluginLimiter(app: FastifyInstance, policy: string, describes: string, max: number, partition: (request: FastifyRequest) => string | undefined): Limiter {
  // The key names the policy: every limiter built here shares one key space (the plugin prefixes
  // keys per route, and these limiters belong to no route).
  const count = app.createRateLimit({ max, timeWindow: WINDOW_SECONDS * 1000, keyGenerator: (request) => `${policy}:${partition(request)}` });
  return {
    async take(request) {
      if (partition(request) === undefined) return undefined; // e.g. no tenant to count against
      const result = await count(request);
      if (result.isAllowed) return undefined;
      return { policy, describes, limit: max, windowSeconds: WINDOW_SECONDS, remaining: result.remaining, resetSeconds: result.ttlInSeconds, exceeded: result.isExceeded };
    },
  };
}

/** A rate-limiter-flexible limiter in Redis that falls back to this instance's memory while Redis is away. */
export function insuredLimiter(redis: Redis | undefined, policy: string, points: number): RateLimiterAbstract {
  const memory = new RateLimiterMemory({ keyPrefix: policy, points, duration: WINDOW_SECONDS });
  if (!redis) return memory;
  return new RateLimiterRedis({ storeClient: redis, keyPrefix: `${REDIS_KEY_PREFIX}${policy}`, points, duration: WINDOW_SECONDS, rejectIfRedisNotReady: true, insuranceLimiter: memory });
}

/** Per address and operation, counted through Redis outages (insuredLimiter): sign-in and the public writes. */
function addressLimiter(redis: Redis | undefined, policy: "sign-in" | "public-write", describes: string, max: number): Limiter {
  const limiter = insuredLimiter(redis, policy, max);
  const quotaOf = (result: RateLimiterRes, exceeded: boolean): Quota => ({
    policy,
    describes,
    limit: max,
    windowSeconds: WINDOW_SECONDS,
    remaining: exceeded ? 0 : result.remainingPoints,
    resetSeconds: Math.ceil(result.msBeforeNext / 1000),
    exceeded,
  });
  return {
    async take(request) {
      const key = `${request.routeOptions.config.operationId}:${addressOf(request)}`;
      try {
        return quotaOf(await limiter.consume(key), false);
      } catch (error) {
        if (error instanceof RateLimiterRes) return quotaOf(error, true);
        throw error;
      }
    },
  };
}

export async function registerRateLimit(app: FastifyInstance, config: Config, redis: Redis | undefined): Promise<void> {
  if (redis && !(await connectRedis(redis, 2_000))) app.log.warn("Redis did not answer at start-up: rate limits fall back until it does");
  // The plugin's own hooks and headers are off: the hook below combines its counters.
  await app.register(rateLimit, { global: false, skipOnError: false, ...(redis ? { redis, nameSpace: REDIS_KEY_PREFIX } : {}) });

  const limits = config.rateLimit;
  const principalLimit = pluginLimiter(app, "default", "the limit of your user, API key or address", limits.perMinute, (request) => partitionOf(request.principal, addressOf(request)));
  const tenantLimit =
    limits.tenantPerMinute ? pluginLimiter(app, "tenant", "your tenant's quota", limits.tenantPerMinute, (request) => tenantOf(request.principal)) : undefined;
  const signIn = addressLimiter(redis, "sign-in", "the sign-in limit of this address", limits.authPerMinute);
  const publicWrites = addressLimiter(redis, "public-write", "the limit of this address on anonymous votes", limits.publicWritesPerMinute ?? DEFAULT_PUBLIC_WRITES_PER_MINUTE);
  // A chat visitor is anyone on the internet: their own, tighter limit on top of the default.
  const visitorLimit = pluginLimiter(app, "visitor", "the limit of a chat widget visitor", config.widget.visitorPerMinute, (request) =>
    request.principal?.kind === "user" && request.principal.widget ? request.principal.userId : undefined,
  );
  /** What each policy counts, built once rather than on every request. */
  const limitersOf: Record<RateLimitPolicy, readonly Limiter[]> = {
    default: tenantLimit ? [principalLimit, visitorLimit, tenantLimit] : [principalLimit, visitorLimit],
    "sign-in": [signIn],
    "public-write": [publicWrites],
  };

  let warnedAt = 0;
  /** Fail open: the request goes on uncounted. One warning per minute at most during an outage. */
  function failOpen(request: FastifyRequest, error: unknown): undefined {
    const now = Date.now();
    if (now - warnedAt > 60_000) {
      warnedAt = now;
      request.log.warn({ err: error }, "rate limit skipped: its store is unavailable");
    }
    return undefined;
  }

  // After authentication (registered after it), so the principal is known; unknown routes (404)
  // count against "default" too.
  app.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
    const policy = request.routeOptions.config.rateLimitPolicy ?? "default";
    if (policy === false) return;
    const quotas = (await Promise.all(limitersOf[policy].map((limiter) => limiter.take(request).catch((error: unknown) => failOpen(request, error))))).filter(
      (quota): quota is Quota => quota !== undefined,
    );
    const refusal = quotaExceeded(quotas);
    if (refusal) throw refusal;
    setRateLimitFields(reply, quotas);
  });
}
