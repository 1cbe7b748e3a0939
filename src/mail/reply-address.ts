// Reply addresses: reply+<token>@<INBOUND_EMAIL_DOMAIN>, where the token names the tenant, the
// ticket and the user the email was sent to, and carries an HMAC over them, so a reply routes to
// the right ticket as the right person and nobody can forge an address for a ticket or a user
// they were never sent. Lower-case base32: mail systems may change the case of a local part.
import crypto from "node:crypto";

const VERSION = 1;
const MAC_BYTES = 12;
const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

export interface ReplyRoute {
  tenantId: string;
  ticketId: string;
  userId: string;
}

function uuidBytes(id: string): Buffer {
  return Buffer.from(id.replaceAll("-", ""), "hex");
}

function uuidOf(bytes: Buffer): string {
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function unbase32(text: string): Buffer | undefined {
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of text.toLowerCase()) {
    const index = ALPHABET.indexOf(char);
    if (index < 0) return undefined;
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export function createReplyAddresses(key: Buffer, domain: string) {
  const mac = (body: Buffer) => crypto.createHmac("sha256", key).update(body).digest().subarray(0, MAC_BYTES);
  return {
    domain,
    /** The address a reply to an email about `ticketId`, sent to `userId`, goes to. */
    addressFor(route: ReplyRoute): string {
      const body = Buffer.concat([Buffer.from([VERSION]), uuidBytes(route.tenantId), uuidBytes(route.ticketId), uuidBytes(route.userId)]);
      return `reply+${base32(Buffer.concat([body, mac(body)]))}@${domain}`;
    },
    /**
     * The route of an address, when it is one of ours and its signature holds; otherwise why not
     * ("not_reply_address": another address; "forged": the signature does not match).
     */
    routeOf(address: string): { route: ReplyRoute } | { refused: "not_reply_address" | "forged" } {
      const match = /^reply\+([a-z2-7]+)@(.+)$/i.exec(address.trim());
      if (!match || match[2]!.toLowerCase() !== domain) return { refused: "not_reply_address" };
      const bytes = unbase32(match[1]!);
      if (!bytes || bytes.length !== 1 + 48 + MAC_BYTES || bytes[0] !== VERSION) return { refused: "forged" };
      const body = bytes.subarray(0, 49);
      if (!crypto.timingSafeEqual(mac(body), bytes.subarray(49))) return { refused: "forged" };
      return { route: { tenantId: uuidOf(body.subarray(1, 17)), ticketId: uuidOf(body.subarray(17, 33)), userId: uuidOf(body.subarray(33, 49)) } };
    },
  };
}

export type ReplyAddresses = ReturnType<typeof createReplyAddresses>;

/** A key of its own for each use of the one server secret (HKDF), so a signature made for one purpose never verifies for another. */
export function deriveKey(secret: string, purpose: string): Buffer {
  return Buffer.from(crypto.hkdfSync("sha256", secret, "docket", purpose, 32));
}
