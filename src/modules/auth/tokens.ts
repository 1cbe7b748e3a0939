// Access tokens are short-lived JWTs naming the user, tenant and session; refresh tokens are
// opaque random strings of which only a SHA-256 is stored.
import crypto from "node:crypto";
import type { JWT } from "@fastify/jwt";
import type { Role } from "../../http/contract.ts";

export interface AccessClaims {
  sub: string;
  tid: string;
  sid: string;
  role: Role;
}

export interface TokenIssuer {
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  signAccessToken(claims: AccessClaims): string;
  verifyAccessToken(token: string): AccessClaims;
}

export function createTokenIssuer(jwt: JWT, ttl: { accessTokenTtlSeconds: number; refreshTokenTtlSeconds: number }): TokenIssuer {
  return {
    ...ttl,
    signAccessToken: (claims) => jwt.sign({ tid: claims.tid, sid: claims.sid, role: claims.role }, { sub: claims.sub, expiresIn: ttl.accessTokenTtlSeconds }),
    verifyAccessToken: (token) => jwt.verify<AccessClaims>(token),
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
