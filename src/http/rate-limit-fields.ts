// The RateLimit-Policy and RateLimit response fields of draft-ietf-httpapi-ratelimit-headers-11
// (structured-field Lists): every policy that applied to the request in RateLimit-Policy, and in
// RateLimit the one closest to exhaustion (the draft lets a server leave out the others when they
// count the same units, Appendix B.1.2). A 429 adds Retry-After and a problem naming the limit.
import type { FastifyReply } from "fastify";
import { Problem } from "../core/problem.ts";

/** Where one policy stands for this request's partition (after counting the request). */
export interface Quota {
  /** The policy's name: the Item value of both fields (a String). */
  policy: string;
  /** Requests allowed per window (`q`). */
  limit: number;
  /** The window in seconds (`w`). */
  windowSeconds: number;
  /** Requests left in the current window (`r`). */
  remaining: number;
  /** Seconds until the window ends (`t`). */
  resetSeconds: number;
  exceeded: boolean;
  /** For the 429's detail: what is limited, e.g. "the tenant's quota". */
  describes: string;
}

export function policyField(quotas: readonly Quota[]): string {
  return quotas.map((quota) => `"${quota.policy}";q=${quota.limit};w=${quota.windowSeconds}`).join(", ");
}

export function rateLimitField(quota: Quota): string {
  return `"${quota.policy}";r=${quota.remaining};t=${quota.resetSeconds}`;
}

/** Fewest requests left; on a tie, the one that takes longer to come back. */
export function closestToExhaustion(quotas: readonly Quota[]): Quota | undefined {
  return quotas.reduce<Quota | undefined>((closest, quota) => {
    if (!closest || quota.remaining < closest.remaining) return quota;
    if (quota.remaining === closest.remaining && quota.resetSeconds > closest.resetSeconds) return quota;
    return closest;
  }, undefined);
}

export function setRateLimitFields(reply: FastifyReply, quotas: readonly Quota[]): void {
  const closest = closestToExhaustion(quotas);
  if (!closest) return;
  reply.header("ratelimit-policy", policyField(quotas));
  reply.header("ratelimit", rateLimitField(closest));
}

/** The 429 when any quota is exceeded: Retry-After is the longest wait among the exceeded ones. */
export function quotaExceeded(quotas: readonly Quota[]): Problem | undefined {
  const exceeded = quotas.filter((quota) => quota.exceeded);
  if (exceeded.length === 0) return undefined;
  const longest = exceeded.reduce((a, b) => (b.resetSeconds > a.resetSeconds ? b : a));
  const retryAfter = Math.max(1, longest.resetSeconds);
  const what = exceeded.map((quota) => `${quota.describes} ("${quota.policy}": ${quota.limit} requests per ${quota.windowSeconds} s)`).join(" and ");
  return new Problem(429, "rate_limited", "Too many requests", `You have used up ${what}; retry in ${retryAfter} s.`, {
    headers: { "retry-after": String(retryAfter), "ratelimit-policy": policyField(quotas), "ratelimit": rateLimitField({ ...longest, remaining: 0, resetSeconds: retryAfter }) },
  });
}
