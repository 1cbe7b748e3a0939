// The single-use secrets of account emails (invitation and password-reset links): random, shown
// only in the email, stored as their SHA-256. The prefix says what a token is for when one is
// pasted in the wrong place.
import crypto from "node:crypto";

export type AccountTokenKind = "inv" | "rst";

export function newAccountToken(kind: AccountTokenKind): { token: string; hash: string } {
  const token = `${kind}_${crypto.randomBytes(32).toString("base64url")}`;
  return { token, hash: hashAccountToken(token) };
}

export function hashAccountToken(token: string): string {
  return crypto.createHash("sha256").update(token).digest("hex");
}
