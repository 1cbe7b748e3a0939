// Failed authentication, limited per address before authenticating. The general rate limit is
// keyed by user, so it runs after the auth hook, and a request whose token fails never reached it:
// anyone could try tokens (and cost a session lookup each) without limit. This hook counts the
// 401s an address earns on authenticated operations and, past the limit, answers 429 before the
// token is even looked at, until the window ends.
import type { FastifyInstance } from "fastify";
import { Problem } from "../core/problem.ts";

export interface AuthFailureLimitOptions {
  /** Failed authentications per address per window. */
  max: number;
  windowMs: number;
}

interface Window {
  failures: number;
  resetAt: number;
}

export function registerAuthFailureLimit(app: FastifyInstance, { max, windowMs }: AuthFailureLimitOptions): void {
  const windows = new Map<string, Window>();
  let nextSweep = Date.now() + windowMs;

  /** Forgets ended windows, so memory holds at most one window's worth of addresses. */
  function sweep(now: number): void {
    if (now < nextSweep) return;
    nextSweep = now + windowMs;
    for (const [address, window] of windows) if (window.resetAt <= now) windows.delete(address);
  }

  function current(address: string, now: number): Window | undefined {
    const window = windows.get(address);
    return window && window.resetAt > now ? window : undefined;
  }

  const authenticated = (authentication: string | undefined) => authentication !== undefined && authentication !== "public";

  app.addHook("onRequest", async (request) => {
    if (!authenticated(request.routeOptions.config.authentication)) return;
    const now = Date.now();
    const window = current(request.ip, now);
    if (!window || window.failures < max) return;
    const retryAfter = Math.max(1, Math.ceil((window.resetAt - now) / 1000));
    throw new Problem(429, "rate_limited", "Too many requests", `Too many failed authentications from this address; retry in ${retryAfter} s.`, {
      headers: { "retry-after": String(retryAfter), "ratelimit-limit": String(max), "ratelimit-remaining": "0", "ratelimit-reset": String(retryAfter) },
    });
  });

  app.addHook("onResponse", async (request, reply) => {
    if (reply.statusCode !== 401 || !authenticated(request.routeOptions.config.authentication)) return;
    const now = Date.now();
    sweep(now);
    const window = current(request.ip, now);
    if (window) window.failures += 1;
    else windows.set(request.ip, { failures: 1, resetAt: now + windowMs });
  });
}
