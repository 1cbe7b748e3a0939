// Idempotency keys the way Stripe has them: the first successful response to a key is stored in
// the same transaction as the change it made, and a retry with the same key and the same request
// gets that response again (Idempotent-Replayed: true) instead of a second change. The same key
// with a different request is a 422. Keys are scoped to the caller (a user, or an API key: two
// integrations of one admin never share keys) and forgotten after 24 hours.
// A request that failed stored nothing, so retrying it runs it again. A retry that arrives while
// the first is still running gets 409 idempotency_key_in_use with Retry-After: 1.
import crypto from "node:crypto";
import { COMMITS_SQL, type Database, type Db } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import type { TenantPrincipal } from "./principal.ts";
import { Problem, problems } from "./problem.ts";

const KEY_LIFETIME_MS = 24 * 60 * 60 * 1000;

export interface IdempotencyScope {
  caller: TenantPrincipal;
  /** The Idempotency-Key header; without one the work simply runs once, in a transaction. */
  key: string | undefined;
  operationId: string;
  /** Everything that identifies the request: path parameters and body. */
  request: unknown;
}

export interface Outcome<T> {
  status: number;
  body: T;
  replayed: boolean;
}

class KeyTaken extends Error {}

/** Deletes keys past their lifetime; run periodically (a retry after 24 hours is a new request). */
export async function purgeExpiredIdempotencyKeys(db: Database): Promise<number> {
  const { count } = await db.idempotencyKey.deleteMany({ where: { createdAt: { lt: new Date(Date.now() - KEY_LIFETIME_MS) } } });
  return count;
}

/** Canonical JSON (sorted keys), so the same request hashes the same however its keys are ordered. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * Runs `run` in a transaction, once per key. `run` is told whether its last statement may commit
 * the transaction (COMMITS, src/db/client.ts): without a key nothing follows it; with one, the
 * stored response does, and that statement commits instead.
 */
export async function idempotent<T extends object>(db: Database, scope: IdempotencyScope, run: (tx: Db, last: boolean) => Promise<{ status: number; body: T }>): Promise<Outcome<T>> {
  if (scope.key === undefined) return { ...(await db.$transaction((tx) => run(tx, true))), replayed: false };
  const principalId = scope.caller.kind === "api_key" ? scope.caller.apiKeyId : scope.caller.userId;
  const id = { tenantId: scope.caller.tenantId, principalId, key: scope.key };
  const requestHash = crypto.createHash("sha256").update(`${scope.operationId}\n${canonical(scope.request)}`).digest("hex");
  try {
    return await db.$transaction(async (tx) => {
      // A concurrent request with the same key would wait on the key's index entry, holding a
      // pool connection until the first commits. It gets 409 at once instead (as Stripe answers),
      // and the lock goes with the transaction however it ends.
      const [{ locked }] = await tx.$queryRaw<[{ locked: boolean }]>`SELECT pg_try_advisory_xact_lock(hashtextextended(${`idempotency:${id.tenantId}:${id.principalId}:${id.key}`}, 0)) AS locked`;
      if (!locked) throw problems.idempotencyKeyInUse();
      await tx.idempotencyKey.deleteMany({ where: { ...id, createdAt: { lt: new Date(Date.now() - KEY_LIFETIME_MS) } } });
      try {
        // A key that committed before is found here at once: a retry, answered below.
        await tx.idempotencyKey.create({ data: { ...id, operationId: scope.operationId, requestHash } });
      } catch (error) {
        if (isUniqueViolation(error)) throw new KeyTaken();
        throw error;
      }
      const result = await run(tx, false);
      await tx.$executeRaw`${COMMITS_SQL}UPDATE "IdempotencyKey" SET "responseStatus" = ${result.status}, "responseBody" = ${JSON.stringify(result.body)}::jsonb
        WHERE "tenantId" = ${id.tenantId}::uuid AND "principalId" = ${id.principalId}::uuid AND key = ${id.key}`;
      return { ...result, replayed: false };
    });
  } catch (error) {
    if (!(error instanceof KeyTaken)) throw error;
  }
  const stored = await db.idempotencyKey.findUnique({ where: { tenantId_principalId_key: id } });
  if (!stored || stored.responseStatus === null) throw problems.idempotencyKeyInUse();
  if (stored.requestHash !== requestHash) {
    throw new Problem(422, "idempotency_key_reused", "Idempotency-Key reused", `This Idempotency-Key was used for a different request (${stored.operationId}); use a new key for a new request.`);
  }
  return { status: stored.responseStatus, body: stored.responseBody as T, replayed: true };
}
