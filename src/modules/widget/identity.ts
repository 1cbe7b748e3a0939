// How a visitor proves who they are: a short-lived JWT the tenant's backend signs with the widget
// secret (Intercom's current advice), or the older HMAC of the user id (for compatibility).
import crypto from "node:crypto";
import { createVerifier } from "fast-jwt";
import { problems } from "../../core/problem.ts";

/** An identity JWT may live at most this long from now: a leaked one is soon useless. */
export const MAX_IDENTITY_TOKEN_SECONDS = 3_600;

export interface VerifiedIdentity {
  externalId: string;
  email: string | undefined;
  name: string | undefined;
}

const SECRET_PREFIX = "wsec_";

export function generateWidgetSecret(): string {
  return SECRET_PREFIX + crypto.randomBytes(32).toString("base64url");
}

const text = (value: unknown, max: number): string | undefined => (typeof value === "string" && value.trim() !== "" ? value.trim().slice(0, max) : undefined);

/** HS256 only (no `none`, no other algorithm); `sub` and `exp` required, `exp` no more than an hour ahead. */
export function verifyIdentityToken(secret: string, token: string, now = Date.now()): VerifiedIdentity {
  let claims: Record<string, unknown>;
  try {
    claims = createVerifier({ key: secret, algorithms: ["HS256"], requiredClaims: ["sub", "exp"], clockTolerance: 5_000 })(token) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw problems.unauthorized(code === "FAST_JWT_EXPIRED" ? "The identity token has expired; sign a new one." : "The identity token is not valid: sign it (HS256) with the widget secret, with sub and exp.");
  }
  const exp = Number(claims.exp);
  if (!Number.isFinite(exp) || exp * 1000 - now > MAX_IDENTITY_TOKEN_SECONDS * 1000) throw problems.unauthorized(`The identity token lives too long: exp may be at most ${MAX_IDENTITY_TOKEN_SECONDS} seconds ahead.`);
  const externalId = text(claims.sub, 200);
  if (!externalId) throw problems.unauthorized("The identity token's sub must name the visitor.");
  const email = text(claims.email, 254);
  return { externalId, email: email && /^[^\s@]+@[^\s@]+$/.test(email) ? email.toLowerCase() : undefined, name: text(claims.name, 100) };
}

/** Intercom-style identity: hex HMAC-SHA256 of the user id under the widget secret. */
export function verifyUserHash(secret: string, userId: string, userHash: string): void {
  const expected = crypto.createHmac("sha256", secret).update(userId).digest();
  const given = Buffer.from(userHash, "hex");
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) throw problems.unauthorized("The userHash does not match userId under the widget secret.");
}

const RESUME_PREFIX = "wvr_";

/** An anonymous visitor's way back to their conversations; only its SHA-256 is stored. */
export function newResumeToken(): { token: string; hash: string } {
  const token = RESUME_PREFIX + crypto.randomBytes(24).toString("base64url");
  return { token, hash: hashResumeToken(token) };
}

export function hashResumeToken(token: string): string {
  return crypto.createHash("sha256").update(token).digest("hex");
}
