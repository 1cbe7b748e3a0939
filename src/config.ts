// Environment → typed, validated configuration. Only src/server.ts (and the scripts) read
// process.env; everything else receives a Config. A bad variable stops start-up naming it.
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";

export type NodeEnv = "development" | "production" | "test";

export interface Config {
  env: NodeEnv;
  host: string;
  port: number;
  logLevel: "error" | "warn" | "info" | "debug";
  /** Absent: an embedded PostgreSQL is started under dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPostgresPort: number;
  jwtSecret: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Absent: the platform API answers 401 to everyone. */
  platformOperatorToken: string | undefined;
  bodyLimitBytes: number;
  rateLimit: { perMinute: number; authPerMinute: number };
  trustProxy: boolean;
}

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

const MIN_SECRET_LENGTH = 32;
const KNOWN_WEAK_SECRETS = new Set(["secret", "changeme", "change-me", "jwt-secret", "development"]);

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(", ")}, got "${raw}"`);
  }
  return raw as T;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function databaseUrl(env: Env): string | undefined {
  const raw = env.DATABASE_URL;
  if (raw === undefined || raw === "") return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError("DATABASE_URL", "is not a URL (expected postgresql://user:password@host:5432/database)");
  }
  if (url.protocol !== "postgresql:" && url.protocol !== "postgres:") {
    throw new ConfigError("DATABASE_URL", `must be a postgresql:// URL, got ${url.protocol}//…`);
  }
  return raw;
}

function checkSecret(name: string, value: string): void {
  if (value.length < MIN_SECRET_LENGTH || KNOWN_WEAK_SECRETS.has(value.toLowerCase())) {
    throw new ConfigError(name, `must be a random string of at least ${MIN_SECRET_LENGTH} characters (try: openssl rand -base64 48)`);
  }
}

/** Development convenience: a JWT secret generated once and kept under the data directory. */
function developmentJwtSecret(dataDir: string): string {
  const file = path.join(dataDir, "jwt-secret");
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    const secret = crypto.randomBytes(48).toString("base64url");
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, secret, { mode: 0o600 });
    return secret;
  }
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const nodeEnv = oneOf(env, "NODE_ENV", ["development", "production", "test"] as const, "development");
  const dataDir = path.resolve(cwd, env.DATA_DIR || ".data");

  let jwtSecret = env.JWT_SECRET;
  if (jwtSecret) checkSecret("JWT_SECRET", jwtSecret);
  else if (nodeEnv === "production") throw new ConfigError("JWT_SECRET", "is required in production");
  else jwtSecret = developmentJwtSecret(dataDir);

  const platformOperatorToken = env.PLATFORM_OPERATOR_TOKEN || undefined;
  if (platformOperatorToken) checkSecret("PLATFORM_OPERATOR_TOKEN", platformOperatorToken);

  return {
    env: nodeEnv,
    host: env.HOST || "127.0.0.1",
    port: integer(env, "PORT", 3000, 0, 65535),
    logLevel: oneOf(env, "LOG_LEVEL", ["error", "warn", "info", "debug"] as const, "info"),
    databaseUrl: databaseUrl(env),
    dataDir,
    embeddedPostgresPort: integer(env, "EMBEDDED_PG_PORT", 54329, 1024, 65535),
    jwtSecret,
    accessTokenTtlSeconds: integer(env, "ACCESS_TOKEN_TTL_SECONDS", 900, 30, 86_400),
    refreshTokenTtlSeconds: integer(env, "REFRESH_TOKEN_TTL_SECONDS", 30 * 86_400, 300, 365 * 86_400),
    platformOperatorToken,
    bodyLimitBytes: integer(env, "BODY_LIMIT_BYTES", 1_048_576, 1024, 100 * 1_048_576),
    rateLimit: {
      perMinute: integer(env, "RATE_LIMIT_PER_MINUTE", 600, 1, 1_000_000),
      authPerMinute: integer(env, "AUTH_RATE_LIMIT_PER_MINUTE", 20, 1, 1_000_000),
    },
    trustProxy: boolean(env, "TRUST_PROXY", false),
  };
}
