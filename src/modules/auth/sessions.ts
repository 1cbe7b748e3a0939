// Sessions and their refresh tokens. Other modules end sessions through revokeSessions
// (deactivating a user, suspending a tenant); only the auth service opens them.
import type { Db } from "../../db/client.ts";
import type { Schemas } from "../../core/contract-types.ts";
import { newRefreshToken, type TokenIssuer } from "./tokens.ts";
import type { Role } from "../../core/contract.ts";
import type { SessionScope } from "./session-changes.ts";

export type RevocationReason = "logout" | "refresh_token_reused" | "user_deactivated" | "password_changed" | "tenant_suspended" | "tenant_deleted";
export type TokenPair = Schemas["TokenPair"];

export async function openSession(db: Db, tokens: TokenIssuer, user: { tenantId: string; id: string; role: Role }, userAgent: string | undefined): Promise<TokenPair> {
  const expiresAt = new Date(Date.now() + tokens.refreshTokenTtlSeconds * 1000);
  const session = await db.session.create({
    data: { tenantId: user.tenantId, userId: user.id, userAgent: userAgent?.slice(0, 512) ?? null, expiresAt },
  });
  return issueTokens(db, tokens, { tenantId: user.tenantId, sessionId: session.id, userId: user.id, role: user.role, expiresAt });
}

/** A fresh access token and the session's next refresh token. */
export async function issueTokens(
  db: Db,
  tokens: TokenIssuer,
  session: { tenantId: string; sessionId: string; userId: string; role: Role; expiresAt: Date },
): Promise<TokenPair> {
  const refresh = newRefreshToken();
  await db.refreshToken.create({
    data: { tenantId: session.tenantId, sessionId: session.sessionId, tokenHash: refresh.hash, expiresAt: session.expiresAt },
  });
  return {
    accessToken: tokens.signAccessToken({ sub: session.userId, tid: session.tenantId, sid: session.sessionId, role: session.role }),
    refreshToken: refresh.token,
    expiresIn: tokens.accessTokenTtlSeconds,
    tokenType: "Bearer",
  };
}

/** Ends the matching live sessions; their access tokens stop working on the next request. */
export async function revokeSessions(
  db: Db,
  where: SessionScope,
  reason: RevocationReason,
): Promise<number> {
  const { count } = await db.session.updateMany({
    where: {
      tenantId: where.tenantId,
      userId: where.userId,
      id: where.sessionId ?? (where.exceptSessionId ? { not: where.exceptSessionId } : undefined),
      revokedAt: null,
    },
    data: { revokedAt: new Date(), revokedFor: reason },
  });
  return count;
}

/**
 * Whether a spent refresh token may still be exchanged: it is the one the session rotated last
 * (nothing rotated after it, so no successor has been used) and that happened within the grace
 * window. Two tabs refreshing at once both present it; only theft replays an older one, or late.
 */
export async function withinReuseGrace(db: Db, token: { tenantId: string; id: string; sessionId: string }, graceSeconds: number, now = new Date()): Promise<boolean> {
  if (graceSeconds <= 0) return false;
  const spent = await db.refreshToken.findUnique({ where: { tenantId_id: { tenantId: token.tenantId, id: token.id } }, select: { rotatedAt: true } });
  const rotatedAt = spent?.rotatedAt;
  if (!rotatedAt || now.getTime() - rotatedAt.getTime() > graceSeconds * 1000) return false;
  const rotatedSince = await db.refreshToken.count({ where: { tenantId: token.tenantId, sessionId: token.sessionId, rotatedAt: { gt: rotatedAt } } });
  return rotatedSince === 0;
}
