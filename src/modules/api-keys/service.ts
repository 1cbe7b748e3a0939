// API keys: admins create, list and revoke them; every request that presents one is authenticated
// here. A key's format is checked first (checksum, environment: no database read for a typo),
// then it is found by its prefix and its SHA-256 compared in constant time. Verified keys are
// cached like sessions (src/modules/auth/session-cache.ts): a revocation invalidates every
// instance's cache over LISTEN/NOTIFY (see services.ts) before the next request.
import crypto from "node:crypto";
import type pg from "pg";
import type { Database } from "../../db/client.ts";
import { isUniqueViolation } from "../../db/errors.ts";
import type { Logger } from "../../logger.ts";
import type { Role, Scope } from "../../core/contract.ts";
import type { QueryOf, Schemas } from "../../core/contract-types.ts";
import { createdAtKeyset } from "../../core/cursor.ts";
import type { ApiKeyPrincipal, TenantPrincipal } from "../../core/principal.ts";
import { problems } from "../../core/problem.ts";
import { appendEvent, contextOf } from "../../events/event-log.ts";
import type { SessionCache } from "../auth/session-cache.ts";
import { generateKey, hashKey, parseKey, type KeyEnvironment } from "./key-format.ts";
import { checkCanManage, checkScopes, effectiveRole } from "./policy.ts";
import { toApiKey, type ApiKey } from "./representation.ts";

/** What the database said about a key, kept by the cache under the key's prefix. */
export interface VerifiedApiKey {
  tenantId: string;
  apiKeyId: string;
  secretHash: string;
  createdById: string;
  role: Role;
  scopes: readonly Scope[] | null;
  expiresAt: number | null;
}

/** lastUsedAt is written at most once a minute per key: a write on every request would double a read's cost. */
const LAST_USED_EVERY_MS = 60_000;
const MAX_TRACKED_KEYS = 50_000;

export interface ApiKeyServiceDeps {
  db: Database;
  /**
   * Across tenants (row-level security's system role): a key is looked up by its prefix before
   * anyone knows its tenant, and its last use is recorded from the authentication hook.
   */
  system: pg.Pool;
  logger: Logger;
  cache: SessionCache<VerifiedApiKey>;
  /** Which keys this deployment mints and accepts (config API_KEY_ENVIRONMENT). */
  environment: KeyEnvironment;
  /** The scopes each role may hold (from the contract, policy.ts). */
  scopesByRole: Record<Role, ReadonlySet<Scope>>;
  now?: () => number;
}

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, "hex");
  const right = Buffer.from(b, "hex");
  return left.length === right.length && crypto.timingSafeEqual(left, right);
}

export function createApiKeyService({ db, system, logger, cache, environment, scopesByRole, now = Date.now }: ApiKeyServiceDeps) {
  const lastUsedWrites = new Map<string, number>();

  /** Fire and forget; the statement itself skips the write when another instance did it this minute. */
  function touch(key: VerifiedApiKey): void {
    const at = now();
    if (at - (lastUsedWrites.get(key.apiKeyId) ?? 0) < LAST_USED_EVERY_MS) return;
    if (lastUsedWrites.size >= MAX_TRACKED_KEYS) lastUsedWrites.clear();
    lastUsedWrites.set(key.apiKeyId, at);
    system
      .query({
        name: "api-key-last-used",
        text: `UPDATE "ApiKey" SET "lastUsedAt" = now() WHERE "tenantId" = $1 AND id = $2 AND ("lastUsedAt" IS NULL OR "lastUsedAt" < now() - interval '1 minute')`,
        values: [key.tenantId, key.apiKeyId],
      })
      .catch((error: unknown) => logger.warn({ err: error, apiKeyId: key.apiKeyId }, "could not record an API key's last use"));
  }

  async function lookup(prefix: string): Promise<VerifiedApiKey> {
    const generation = cache.generation();
    const { rows } = await system.query<{
      tenantId: string;
      id: string;
      secretHash: string;
      role: Role;
      scopes: string[];
      expiresAt: Date | null;
      createdById: string;
      creatorRole: Role;
      creatorActive: boolean;
      live: boolean;
    }>({
      name: "authenticate-api-key",
      text: `SELECT k."tenantId", k.id, k."secretHash", k.role, k.scopes, k."expiresAt", k."createdById",
                    u.role AS "creatorRole", u.active AS "creatorActive", (t.status = 'active' AND t."deletedAt" IS NULL) AS live
               FROM "ApiKey" k
               JOIN "User" u ON u."tenantId" = k."tenantId" AND u.id = k."createdById"
               JOIN "Tenant" t ON t.id = k."tenantId"
              WHERE k.prefix = $1 AND k."revokedAt" IS NULL`,
      values: [prefix],
    });
    const row = rows[0];
    if (!row) throw problems.unauthorized("The API key is not valid, or it has been revoked.");
    if (!row.live) throw problems.unauthorized("This organisation is suspended.");
    if (!row.creatorActive) throw problems.unauthorized("The admin who created this API key has been deactivated, so the key no longer works; ask an admin for a new one.");
    const role = effectiveRole(row.role, row.creatorRole);
    if (role === "user") throw problems.unauthorized("The user who created this API key is no longer staff, so the key no longer works; ask an admin for a new one.");
    const verified: VerifiedApiKey = {
      tenantId: row.tenantId,
      apiKeyId: row.id,
      secretHash: row.secretHash,
      createdById: row.createdById,
      role,
      scopes: row.scopes.length > 0 ? row.scopes : null,
      expiresAt: row.expiresAt?.getTime() ?? null,
    };
    cache.remember(prefix, verified, generation);
    return verified;
  }

  return {
    /** Runs on every request that presents a `dkt_` bearer token. */
    async authenticate(token: string): Promise<ApiKeyPrincipal> {
      const parsed = parseKey(token);
      if (!parsed.ok) {
        throw problems.unauthorized(parsed.reason === "checksum" ? "The API key is not valid: its checksum does not match (mistyped or cut short?)." : "The API key is not valid: it is not shaped like a Docket key.");
      }
      if (parsed.environment !== environment) {
        throw problems.unauthorized(`This is a dkt_${parsed.environment}_ key; this server accepts dkt_${environment}_ keys only (its API_KEY_ENVIRONMENT is ${environment}).`);
      }
      const key = cache.get(parsed.prefix) ?? (await lookup(parsed.prefix));
      if (!sameHash(hashKey(token), key.secretHash)) throw problems.unauthorized("The API key is not valid, or it has been revoked.");
      if (key.expiresAt !== null && key.expiresAt <= now()) {
        throw problems.unauthorized(`The API key expired at ${new Date(key.expiresAt).toISOString()}; ask an admin for a new one.`);
      }
      touch(key);
      return { kind: "api_key", tenantId: key.tenantId, apiKeyId: key.apiKeyId, userId: key.createdById, role: key.role, scopes: key.scopes };
    },

    async list(principal: TenantPrincipal, query: QueryOf<"listApiKeys">): Promise<Schemas["ApiKeyList"]> {
      checkCanManage(principal);
      const limit = query.limit ?? 25;
      const keyset = createdAtKeyset(query.cursor, "desc");
      const rows = await db.apiKey.findMany({ where: { tenantId: principal.tenantId, revokedAt: null, ...keyset.where }, orderBy: keyset.orderBy, take: limit + 1 });
      const result = keyset.page(rows, limit);
      return { data: result.data.map(toApiKey), nextCursor: result.nextCursor };
    },

    async create(principal: TenantPrincipal, input: Schemas["ApiKeyCreate"], requestId?: string): Promise<Schemas["ApiKeyWithSecret"]> {
      checkCanManage(principal);
      const scopes = input.scopes ?? [];
      checkScopes(input.role, scopes, scopesByRole);
      const expiresAt = input.expiresAt === undefined ? null : new Date(input.expiresAt);
      if (expiresAt && expiresAt.getTime() <= now()) throw problems.invalidField("/expiresAt", "must be in the future");
      for (let attempt = 1; ; attempt++) {
        const key = generateKey(environment);
        try {
          return await db.$transaction(async (tx) => {
            const row = await tx.apiKey.create({
              data: { tenantId: principal.tenantId, name: input.name, prefix: key.prefix, secretHash: key.hash, role: input.role, scopes, createdById: principal.userId, expiresAt },
            });
            const apiKey = toApiKey(row);
            await appendEvent(tx, contextOf(principal, requestId), { tenantId: principal.tenantId, type: "api_key.created", entity: { type: "api_key", id: row.id }, after: apiKey });
            return { ...apiKey, secret: key.secret };
          });
        } catch (error) {
          // Two keys sharing their first 8 random characters (1 in 62^8): draw again.
          if (attempt < 3 && isUniqueViolation(error, "prefix")) continue;
          throw error;
        }
      }
    },

    async revoke(principal: TenantPrincipal, apiKeyId: string, requestId?: string): Promise<void> {
      checkCanManage(principal);
      await db.$transaction(async (tx) => {
        const row = await tx.apiKey.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id: apiKeyId } } });
        const { count } = await tx.apiKey.updateMany({ where: { tenantId: principal.tenantId, id: apiKeyId, revokedAt: null }, data: { revokedAt: new Date() } });
        if (!row || count === 0) throw problems.notFound("API key", apiKeyId);
        await appendEvent(tx, contextOf(principal, requestId), { tenantId: principal.tenantId, type: "api_key.revoked", entity: { type: "api_key", id: apiKeyId }, before: toApiKey(row) });
      });
      // After the commit: no instance may go on trusting the key it cached. No session ended, so
      // live sockets (which keys never open) are left as they are.
      cache.invalidate({ ended: [], roleChanged: [] });
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
export type { ApiKey };
