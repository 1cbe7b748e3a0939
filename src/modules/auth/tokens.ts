// Access tokens are short-lived JWTs naming the user, tenant and session; refresh tokens are
// opaque random strings of which only a SHA-256 is stored.
import crypto from "node:crypto";
import { createSigner, createVerifier } from "fast-jwt";
import type { Role } from "../../core/contract.ts";

export interface AccessClaims {
  sub: string;
  tid: string;
  sid: string;
  role: Role;
  /** `widget`: a chat widget visitor's token, good only for the widget's operations. */
  scp?: "widget";
}

/** Verified claims, with the token's expiry (seconds since the epoch) that fast-jwt checked. */
export interface VerifiedClaims extends AccessClaims {
  exp: number;
}

export interface TokenIssuer {
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** How long the refresh token just rotated may be presented again without revoking the session. */
  refreshReuseGraceSeconds: number;
  signAccessToken(claims: AccessClaims): string;
  /** A chat widget visitor's access token (scope `widget`), living `ttlSeconds`. */
  signWidgetToken(claims: Omit<AccessClaims, "scp">, ttlSeconds: number): string;
  verifyAccessToken(token: string): VerifiedClaims;
}

export interface TokenSettings {
  jwtSecret: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  refreshReuseGraceSeconds: number;
}

/** Access tokens whose verification is remembered (each until it expires): a client sends the same token for minutes. */
const VERIFIED_TOKENS_CACHED = 10_000;

/**
 * HS256 with a fixed issuer; verification accepts nothing else (no `none`, no other algorithm).
 * A token verified once is remembered until its `exp` (fast-jwt's LRU cache, keyed by a hash of
 * the token): the signature check and claim parsing were about a tenth of GET /v1/tickets/{id}'s
 * CPU, for the same token each time. Failures are not cached.
 */
export function createTokenIssuer(settings: TokenSettings): TokenIssuer {
  const sign = createSigner({ key: settings.jwtSecret, algorithm: "HS256", iss: "docket", expiresIn: settings.accessTokenTtlSeconds * 1000 });
  const verify = createVerifier({
    key: settings.jwtSecret,
    algorithms: ["HS256"],
    allowedIss: "docket",
    cache: VERIFIED_TOKENS_CACHED,
  });
  return {
    accessTokenTtlSeconds: settings.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: settings.refreshTokenTtlSeconds,
    refreshReuseGraceSeconds: settings.refreshReuseGraceSeconds,
    signAccessToken: (claims) => sign({ sub: claims.sub, tid: claims.tid, sid: claims.sid, role: claims.role }),
    signWidgetToken: (claims, ttlSeconds) =>
      createSigner({ key: settings.jwtSecret, algorithm: "HS256", iss: "docket", expiresIn: ttlSeconds * 1000 })({ sub: claims.sub, tid: claims.tid, sid: claims.sid, role: claims.role, scp: "widget" }),
    verifyAccessToken: (token) => verify(token) as VerifiedClaims,
  };
}

const REFRESH_PREFIX = "drt_";

export function newRefreshToken(): { token: string; hash: string } {
  const token = REFRESH_PREFIX + crypto.randomBytes(32).toString("base64url");
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return crypto.createHash("sha256").update(token).digest("hex");
}
