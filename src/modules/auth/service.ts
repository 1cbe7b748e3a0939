// Signing up, logging in, refreshing and logging out; and authenticating each request's token.
import crypto from "node:crypto";
import type pg from "pg";
import type { Database, Db } from "../../db/client.ts";
import { tenantScope } from "../../db/tenant-scope.ts";
import { appendEvent, type RequestContext } from "../../events/event-log.ts";
import type { UserPrincipal } from "../../core/principal.ts";
import type { Schemas } from "../../core/contract-types.ts";
import type { Role } from "../../core/contract.ts";
import { problems } from "../../core/problem.ts";
import { enqueueJob } from "../../db/job-queue.ts";
import { EMAIL_JOBS } from "../accounts/jobs.ts";
import type { TenantService } from "../tenant/service.ts";
import type { Tenant as TenantRow } from "../../generated/prisma/client.ts";
import { toTenant } from "../tenant/representation.ts";
import { toUser } from "../users/representation.ts";
import { burnPasswordCheck, verifyPassword } from "./passwords.ts";
import { issueTokens, openSession, revokeSessions, withinReuseGrace, type TokenPair } from "./sessions.ts";
import { hashRefreshToken, type TokenIssuer } from "./tokens.ts";
import type { SessionCache } from "./session-cache.ts";

type AuthResult = Schemas["AuthResult"];

export interface AuthServiceDeps {
  db: Database;
  /** Across tenants: finding the tenant of a slug, or of a refresh token, before it is known. */
  system: Database;
  pool: pg.Pool;
  tokens: TokenIssuer;
  tenants: TenantService;
  sessions: SessionCache;
}

const SYSTEM: RequestContext = { actor: { type: "system" } };

export function createAuthService({ db, system, pool, tokens, tenants, sessions }: AuthServiceDeps) {
  /**
   * Lookups under way, by cache generation and session: simultaneous misses for one session (a
   * reconnect storm of one user's sockets) share one query instead of queueing thousands on the
   * pool. Keyed by generation, so a request that arrives after an invalidation never joins a
   * read that started before it: it starts its own.
   */
  const lookups = new Map<string, Promise<UserPrincipal>>();

  /** The principal of a session that still stands (the check behind every token, and behind stream tickets). */
  async function sessionPrincipal(session: { tenantId: string; userId: string; sessionId: string }): Promise<UserPrincipal> {
    const cached = sessions.get(session.sessionId);
    if (cached) {
      if (cached.tenantId !== session.tenantId || cached.userId !== session.userId) throw problems.unauthorized("The access token is not valid.");
      return { kind: "user", tenantId: cached.tenantId, userId: cached.userId, sessionId: session.sessionId, role: cached.role };
    }
    const generation = sessions.generation();
    const key = `${generation}:${session.tenantId}:${session.userId}:${session.sessionId}`;
    let lookup = lookups.get(key);
    if (!lookup) {
      lookup = readSession(session, generation).finally(() => lookups.delete(key));
      lookups.set(key, lookup);
    }
    // Each caller gets its own copy: callers may add to what they got.
    return { ...(await lookup) };
  }

  async function readSession(session: { tenantId: string; userId: string; sessionId: string }, generation: number): Promise<UserPrincipal> {
    // In the scope of the session's tenant (the token's signature vouches for the claim).
    const { rows } = await tenantScope.run(session.tenantId, () => pool.query<{ role: Role; active: boolean; live: boolean }>({
      name: "authenticate",
      text: `SELECT u.role, u.active, (t.status = 'active' AND t."deletedAt" IS NULL) AS live
               FROM "Session" s
               JOIN "User" u ON u."tenantId" = s."tenantId" AND u.id = s."userId"
               JOIN "Tenant" t ON t.id = s."tenantId"
              WHERE s."tenantId" = $1 AND s.id = $2 AND s."userId" = $3 AND s."revokedAt" IS NULL`,
      values: [session.tenantId, session.sessionId, session.userId],
    }));
    const row = rows[0];
    if (!row) throw problems.unauthorized("This session has ended; log in again.");
    if (!row.active) throw problems.unauthorized("This account is deactivated.");
    if (!row.live) throw problems.unauthorized("This organisation is suspended.");
    sessions.remember(session.sessionId, { tenantId: session.tenantId, userId: session.userId, role: row.role }, generation);
    return { kind: "user", tenantId: session.tenantId, userId: session.userId, sessionId: session.sessionId, role: row.role };
  }

  /** Login, once the slug is resolved: everything from here runs in that tenant's scope. */
  async function loginTo(tenant: TenantRow | null, input: Schemas["LoginRequest"], meta: { userAgent?: string; requestId?: string }): Promise<AuthResult> {
    const user = tenant && !tenant.deletedAt ? await db.user.findUnique({ where: { tenantId_email: { tenantId: tenant.id, email: input.email.toLowerCase() } } }) : null;
    if (!tenant || !user) {
      await burnPasswordCheck(input.password);
      throw problems.invalidCredentials();
    }
    if (!(await verifyPassword(user.passwordHash, input.password))) throw problems.invalidCredentials();
    // Past the password check, saying why is no leak, and saves a support ticket.
    if (!user.active) throw problems.unauthorized("This account is deactivated; ask an admin of your organisation to reactivate it.");
    if (tenant.status !== "active") throw problems.unauthorized("This organisation is suspended.");
    return db.$transaction(async (tx) => {
      const loggedIn = await tx.user.update({ where: { tenantId_id: { tenantId: tenant.id, id: user.id } }, data: { lastLoginAt: new Date() } });
      const pair = await openSession(tx, tokens, user, meta.userAgent);
      await appendEvent(tx, { actor: { type: "user", id: user.id }, requestId: meta.requestId }, {
        tenantId: tenant.id,
        type: "auth.logged_in",
        entity: { type: "user", id: user.id },
      });
      return { ...pair, user: toUser(loggedIn), tenant: toTenant(tenant) };
    });
  }

  return {
    async signup(input: Schemas["SignupRequest"], meta: { userAgent?: string; requestId?: string }): Promise<AuthResult> {
      // The new tenant's id is chosen here so that its rows are written in its own scope.
      const tenantId = crypto.randomUUID();
      return tenantScope.run(tenantId, () => db.$transaction(async (tx) => {
        const { tenant, admin } = await tenants.createWithAdmin(tx, { ...SYSTEM, requestId: meta.requestId }, {
          id: tenantId,
          name: input.tenantName,
          slug: input.tenantSlug,
          admin: { name: input.name, email: input.email, password: input.password },
        });
        const pair = await openSession(tx, tokens, admin, meta.userAgent);
        await enqueueJob(tx, EMAIL_JOBS.welcome, { tenantId, userId: admin.id });
        return { ...pair, user: toUser(admin), tenant: toTenant(tenant) };
      }));
    },

    async login(input: Schemas["LoginRequest"], meta: { userAgent?: string; requestId?: string }): Promise<AuthResult> {
      const tenant = await system.tenant.findUnique({ where: { slug: input.tenantSlug.toLowerCase() } });
      return tenant ? tenantScope.run(tenant.id, () => loginTo(tenant, input, meta)) : loginTo(null, input, meta);
    },

    /**
     * Rotates: the presented token is spent and its successor returned. A spent token revokes the
     * session, unless it is the one rotated last and that was within the reuse grace window.
     */
    async refresh(refreshToken: string, meta: { requestId?: string }): Promise<TokenPair> {
      const invalid = problems.unauthorized("The refresh token is not valid; log in again.");
      const found = await system.refreshToken.findUnique({
        where: { tokenHash: hashRefreshToken(refreshToken) },
        include: { session: { include: { user: true, tenant: true } } },
      });
      if (!found) throw invalid;
      const { session } = found;
      const context: RequestContext = { actor: { type: "user", id: session.userId }, requestId: meta.requestId };
      return tenantScope.run(found.tenantId, () => db.$transaction(async (tx) => {
        // Only one request can spend a token: the conditional update is the arbiter under concurrency.
        const spent = await tx.refreshToken.updateMany({ where: { tenantId: found.tenantId, id: found.id, rotatedAt: null }, data: { rotatedAt: new Date() } });
        // Spent a moment ago by a concurrent refresh (another tab): a fresh pair in the same session.
        if (spent.count === 0 && !(await withinReuseGrace(tx, found, tokens.refreshReuseGraceSeconds))) {
          const revoked = await revokeSessions(tx, { tenantId: session.tenantId, sessionId: session.id }, "refresh_token_reused");
          if (revoked > 0) {
            await appendEvent(tx, context, { tenantId: session.tenantId, type: "auth.refresh_token_reused", entity: { type: "user", id: session.userId }, after: { sessionId: session.id } });
          }
          return null;
        }
        const usable = !session.revokedAt && session.expiresAt > new Date() && found.expiresAt > new Date() && session.user.active && session.tenant.status === "active" && !session.tenant.deletedAt;
        if (!usable) return null;
        return issueTokens(tx, tokens, { tenantId: session.tenantId, sessionId: session.id, userId: session.userId, role: session.user.role, expiresAt: session.expiresAt });
      })).then((pair) => {
        // Thrown after the transaction so that a detected reuse's revocation commits.
        if (!pair) {
          sessions.invalidate({ ended: [{ tenantId: session.tenantId, sessionId: session.id }], roleChanged: [] });
          throw invalid;
        }
        return pair;
      });
    },

    async logout(refreshToken: string, meta: { requestId?: string }): Promise<void> {
      const found = await system.refreshToken.findUnique({ where: { tokenHash: hashRefreshToken(refreshToken) }, include: { session: true } });
      if (!found || found.session.revokedAt) return;
      await tenantScope.run(found.tenantId, () => db.$transaction(async (tx) => {
        const revoked = await revokeSessions(tx, { tenantId: found.tenantId, sessionId: found.sessionId }, "logout");
        if (revoked > 0) {
          await appendEvent(tx, { actor: { type: "user", id: found.session.userId }, requestId: meta.requestId }, {
            tenantId: found.tenantId,
            type: "auth.logged_out",
            entity: { type: "user", id: found.session.userId },
          });
        }
      }));
      sessions.invalidate({ ended: [{ tenantId: found.tenantId, sessionId: found.sessionId }], roleChanged: [] });
    },

    async me(principal: UserPrincipal): Promise<Schemas["Me"]> {
      const user = await db.user.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id: principal.userId } }, include: { tenant: true } });
      if (!user) throw problems.unauthorized("The user of this token no longer exists.");
      return { user: toUser(user), tenant: toTenant(user.tenant) };
    },

    /**
     * Runs on every authenticated request: a valid signature is not enough, the session must
     * still stand, the user be active and the tenant live. One indexed query on the raw pool,
     * skipped while the session cache vouches for it; the role comes from the database, so a
     * role change applies at once.
     */
    async authenticate(token: string): Promise<UserPrincipal> {
      let claims;
      try {
        claims = tokens.verifyAccessToken(token);
      } catch (error) {
        const expired = (error as { code?: string }).code === "FAST_JWT_EXPIRED";
        throw problems.unauthorized(expired ? "The access token has expired; refresh it." : "The access token is not valid.");
      }
      const principal = await sessionPrincipal({ tenantId: claims.tid, userId: claims.sub, sessionId: claims.sid });
      return { ...principal, accessExpiresAt: claims.exp * 1000, ...(claims.scp === "widget" ? { widget: true } : {}) };
    },

    sessionPrincipal,

    /**
     * A chat widget visitor's session (src/modules/widget): no refresh token, the widget asks
     * for a new session instead; revocable like any other, and its token works only on x-widget
     * operations.
     */
    async openWidgetSession(tx: Db, user: { tenantId: string; id: string }, ttlSeconds: number, userAgent: string | undefined): Promise<{ accessToken: string; expiresIn: number }> {
      const session = await tx.session.create({
        data: { tenantId: user.tenantId, userId: user.id, userAgent: userAgent?.slice(0, 512) ?? null, expiresAt: new Date(Date.now() + ttlSeconds * 1000) },
      });
      return { accessToken: tokens.signWidgetToken({ sub: user.id, tid: user.tenantId, sid: session.id, role: "user" }, ttlSeconds), expiresIn: ttlSeconds };
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
