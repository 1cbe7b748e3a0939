// The signed token of a one-click unsubscribe link (RFC 8058): it names the tenant, the person and
// the notification kinds the email was about, under an HMAC, so the link works without logging in
// and cannot be turned against anyone else or any other kind.
import crypto from "node:crypto";

export interface Unsubscription {
  tenantId: string;
  userId: string;
  kinds: string[];
}

export function createUnsubscribeTokens(key: Buffer) {
  const mac = (payload: string) => crypto.createHmac("sha256", key).update(payload).digest().subarray(0, 16).toString("base64url");
  return {
    sign(what: Unsubscription): string {
      const payload = Buffer.from(JSON.stringify({ v: 1, t: what.tenantId, u: what.userId, k: what.kinds })).toString("base64url");
      return `${payload}.${mac(payload)}`;
    },
    /** The unsubscription a token stands for, or undefined when it is not one of ours. */
    verify(token: string): Unsubscription | undefined {
      const [payload, signature, extra] = token.split(".");
      if (!payload || !signature || extra !== undefined) return undefined;
      const expected = Buffer.from(mac(payload));
      const given = Buffer.from(signature);
      if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return undefined;
      const parsed = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { v: number; t: string; u: string; k: string[] };
      return parsed.v === 1 ? { tenantId: parsed.t, userId: parsed.u, kinds: parsed.k } : undefined;
    },
  };
}

export type UnsubscribeTokens = ReturnType<typeof createUnsubscribeTokens>;
