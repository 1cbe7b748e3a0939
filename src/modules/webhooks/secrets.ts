// Signing secrets: generated here, stored encrypted (AES-256-GCM under WEBHOOK_SECRET_KEY) so the
// worker can sign with them, never stored or logged in the clear, shown only on create and rotate.
import crypto from "node:crypto";
import { Webhook } from "standardwebhooks";

const PREFIX = "whsec_";
const FORMAT = "v1";

/** `whsec_` + base64 of 32 random bytes: what Standard Webhooks libraries accept. */
export function generateSecret(): string {
  return PREFIX + crypto.randomBytes(32).toString("base64");
}

export interface SecretBox {
  seal(secret: string): string;
  open(sealed: string): string;
}

export function createSecretBox(keyMaterial: string): SecretBox {
  const key = crypto.createHash("sha256").update(keyMaterial).digest();
  return {
    seal(secret) {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv("aes-256-gcm", key, iv);
      const ciphertext = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
      return [FORMAT, iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), ciphertext.toString("base64url")].join(".");
    },
    open(sealed) {
      const [format, iv, tag, ciphertext] = sealed.split(".");
      if (format !== FORMAT || !iv || !tag || ciphertext === undefined) throw new Error("not a sealed webhook secret");
      const decipher = crypto.createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
    },
  };
}

/**
 * The Standard Webhooks headers for one attempt. During a rotation's overlap both secrets sign:
 * the signatures go space-separated in one header and a receiver accepts either.
 */
export function signedHeaders(secrets: readonly string[], messageId: string, body: string, now = new Date()): Record<string, string> {
  return {
    "content-type": "application/json",
    "webhook-id": messageId,
    "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
    "webhook-signature": secrets.map((secret) => new Webhook(secret).sign(messageId, now, body)).join(" "),
  };
}
