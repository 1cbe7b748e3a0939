// Failed authentication, limited per address before authenticating. The general rate limit is
// keyed by principal, so it runs after the auth hook, and a request whose token fails never
// reached it: anyone could try tokens (and cost a session lookup each) without limit. This hook
// counts the 401s an address earns on authenticated operations and, past the limit, answers 429
// before the token is even looked at, until the window ends.
//
// The count lives in Redis when it is configured (an attacker cannot spread guesses over the
// instances) and, while Redis is away, in this instance's memory (rate-limiter-flexible's
// insurance limiter): a security limit that neither lets everything through nor stops every
// authenticated request during an outage.
import type { FastifyInstance } from "fastify";
import type { Redis } from "../redis.ts";
import { addressOf, insuredLimiter } from "./rate-limit.ts";
import { quotaExceeded, type Quota } from "./rate-limit-fields.ts";

export interface AuthFailureLimitOptions {
  /** Failed authentications per address per minute. */
  max: number;
  /** Absent: counted in memory. */
  redis: Redis | undefined;
}

const POLICY = "auth-failures";

export function registerAuthFailureLimit(app: FastifyInstance, { max, redis }: AuthFailureLimitOptions): void {
  const failures = insuredLimiter(redis, POLICY, max);
  const authenticated = (authentication: string | undefined) => authentication !== undefined && authentication !== "public";

  app.addHook("onRequest", async (request) => {
    if (!authenticated(request.routeOptions.config.authentication)) return;
    const window = await failures.get(addressOf(request));
    if (!window || window.consumedPoints < max) return;
    const quota: Quota = {
      policy: POLICY,
      describes: "the failed authentications allowed from this address",
      limit: max,
      windowSeconds: 60,
      remaining: 0,
      resetSeconds: Math.max(1, Math.ceil(window.msBeforeNext / 1000)),
      exceeded: true,
    };
    throw quotaExceeded([quota])!;
  });

  app.addHook("onResponse", async (request, reply) => {
    if (reply.statusCode !== 401 || !authenticated(request.routeOptions.config.authentication)) return;
    await failures.penalty(addressOf(request)).catch((error: unknown) => request.log.warn({ err: error }, "could not count a failed authentication"));
  });
}
