// What an API key looks like, after GitHub's tokens: `dkt_live_` or `dkt_test_` (Docket, and the
// environment that minted it), 30 random base62 characters (about 178 bits), and the CRC32 of
// those 30 in 6 base62 characters. The checksum lets a mistyped or truncated key be refused
// before any database read, and lets secret scanners recognise a leaked key without false alarms.
import crypto from "node:crypto";
import zlib from "node:zlib";

export type KeyEnvironment = "live" | "test";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const RANDOM_LENGTH = 30;
/** 62^6 > 2^32: every CRC32 fits in six characters. */
const CHECKSUM_LENGTH = 6;
/** How many random characters the stored, listed prefix keeps (looked up by; the rest stays secret). */
const PREFIX_RANDOM_LENGTH = 8;
const KEY_PATTERN = /^dkt_(live|test)_([0-9A-Za-z]{30})([0-9A-Za-z]{6})$/;

function checksumOf(random: string): string {
  let value = zlib.crc32(random);
  let text = "";
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    text = ALPHABET[value % 62] + text;
    value = Math.floor(value / 62);
  }
  return text;
}

export interface NewKey {
  secret: string;
  prefix: string;
  hash: string;
}

export function hashKey(secret: string): string {
  return crypto.createHash("sha256").update(secret).digest("hex");
}

export function generateKey(environment: KeyEnvironment): NewKey {
  let random = "";
  for (let i = 0; i < RANDOM_LENGTH; i++) random += ALPHABET[crypto.randomInt(62)];
  const secret = `dkt_${environment}_${random}${checksumOf(random)}`;
  return { secret, prefix: prefixOf(environment, random), hash: hashKey(secret) };
}

function prefixOf(environment: KeyEnvironment, random: string): string {
  return `dkt_${environment}_${random.slice(0, PREFIX_RANDOM_LENGTH)}`;
}

export type ParsedKey = { ok: true; environment: KeyEnvironment; prefix: string } | { ok: false; reason: "malformed" | "checksum" };

/** Pure string work: whether `token` can be a key at all, and which prefix to look it up by. */
export function parseKey(token: string): ParsedKey {
  const match = KEY_PATTERN.exec(token);
  if (!match) return { ok: false, reason: "malformed" };
  const environment = match[1] as KeyEnvironment;
  const random = match[2]!;
  if (checksumOf(random) !== match[3]) return { ok: false, reason: "checksum" };
  return { ok: true, environment, prefix: prefixOf(environment, random) };
}
