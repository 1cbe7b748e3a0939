// The local driver's presigned URLs: a token that names the method, the object key, the expiry
// and the constraints (type and size for uploads; type and name for downloads), with an
// HMAC-SHA256 over all of them. Nothing in it is secret, but none of it can be changed: a
// tampered token fails the constant-time comparison, an old one its expiry.
import crypto from "node:crypto";
import { problems } from "../core/problem.ts";

export type SignedGrant =
  | { method: "PUT"; key: string; expiresAt: number; contentType: string; size: number }
  | { method: "GET"; key: string; expiresAt: number; contentType: string; filename: string };

const VERSION = "docket-local-storage.v1";

export class TokenSigner {
  readonly #key: Buffer;

  constructor(secret: string) {
    // A key of its own, derived from the secret, so these tokens and others signed with the same
    // secret (access tokens) can never be swapped for one another.
    this.#key = crypto.createHmac("sha256", secret).update(VERSION).digest();
  }

  #mac(payload: string): Buffer {
    return crypto.createHmac("sha256", this.#key).update(`${VERSION}\n${payload}`).digest();
  }

  sign(grant: SignedGrant): string {
    const payload = Buffer.from(JSON.stringify(grant)).toString("base64url");
    return `${payload}.${this.#mac(payload).toString("base64url")}`;
  }

  /** The grant, if the token is intact, for this method, and not expired; else a 403. */
  verify<M extends SignedGrant["method"]>(token: string, method: M, now = Date.now()): Extract<SignedGrant, { method: M }> {
    const [payload, signature, extra] = token.split(".");
    if (!payload || !signature || extra !== undefined) throw problems.signedUrlInvalid();
    const given = Buffer.from(signature, "base64url");
    const expected = this.#mac(payload);
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) throw problems.signedUrlInvalid();
    const grant = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as SignedGrant;
    if (grant.method !== method) throw problems.signedUrlInvalid();
    if (grant.expiresAt <= now) throw problems.signedUrlExpired();
    return grant as Extract<SignedGrant, { method: M }>;
  }
}
