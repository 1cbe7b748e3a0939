// Environment → typed, validated configuration. Only src/server.ts (and the scripts) read
// process.env; everything else receives a Config. A bad variable stops start-up naming it.
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import net from "node:net";

/** Anonymous votes a visitor's address may cast per minute and operation (a vote is cheap to forge). */
export const DEFAULT_PUBLIC_WRITES_PER_MINUTE = 30;

export type NodeEnv = "development" | "production" | "test";

export interface Config {
  env: NodeEnv;
  host: string;
  port: number;
  logLevel: "error" | "warn" | "info" | "debug";
  /** Absent: an embedded PostgreSQL is started under dataDir. */
  databaseUrl: string | undefined;
  /** The connection pool of each process (API or worker). */
  database: {
    poolSize: number;
    connectionTimeoutMs: number;
    statementTimeoutMs: number;
    /**
     * PostgreSQL ends a session idle inside a transaction after this long: the event feed's horizon
     * is cluster-wide, so one forgotten transaction would stall every consumer.
     */
    idleInTransactionTimeoutSeconds: number;
  };
  dataDir: string;
  embeddedPostgresPort: number;
  jwtSecret: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Two tabs refreshing at once: the token just rotated stays usable this long (0: never). */
  refreshReuseGraceSeconds: number;
  /** How long a verified session is trusted without asking the database (0: always ask). */
  sessionCacheTtlSeconds: number;
  /**
   * Which API keys this deployment mints and accepts: `live` (dkt_live_…, production) or `test`
   * (dkt_test_…, staging and development). A key of the other kind is refused with a 401 that
   * says so, so a test key pasted into production fails loudly instead of touching live data.
   */
  apiKeyEnvironment: "live" | "test";
  /** Absent: the platform API answers 401 to everyone. */
  platformOperatorToken: string | undefined;
  /** Bearer token of the metrics scraper; absent: GET /metrics answers 404. */
  metricsToken: string | undefined;
  bodyLimitBytes: number;
  /**
   * Requests per minute: per principal or address (perMinute), per address on sign-in operations
   * and for failed authentications (authPerMinute), per tenant on top (tenantPerMinute; absent or
   * 0: no tenant quota).
   */
  rateLimit: {
    perMinute: number;
    authPerMinute: number;
    tenantPerMinute?: number;
    /** Per address and operation on the public writes (help-center votes); absent: DEFAULT_PUBLIC_WRITES_PER_MINUTE. */
    publicWritesPerMinute?: number;
  };
  /** Rate-limit counters shared by every instance; absent: each process counts in memory. */
  redisUrl: string | undefined;
  trustProxy: boolean;
  /** Where attachments live: S3 (or compatible) when a bucket is configured, else local disk. */
  storage: { driver: "local" } | { driver: "s3"; s3: S3Config };
  attachments: AttachmentLimits;
  /** Run the background workers in this process (npm start); false for an API-only instance. */
  workers: boolean;
  /** The API's public origin for links it signs itself (local storage); absent: the request's. */
  publicUrl: string | undefined;
  /** Without PUBLIC_URL: Host header values trusted besides loopback and HOST. */
  allowedHosts: string[];
  /** Browser origins allowed to call the API cross-origin (CORS); empty: none. */
  corsOrigins: readonly string[];
  /** The event feed's backstop poll; notifications wake consumers at once. */
  eventFeedPollMs: number;
  /** Help-center article views are added to their articles this often (and at shutdown). */
  helpCenter: { viewFlushMs: number };
  webhooks: WebhookSettings;
  stream: StreamConfig;
  /** Live typing and presence timings. */
  presence: PresenceSettings;
  /** The chat widget: visitors' sessions and limits. */
  widget: WidgetLimits;
  /** Outbound email (SMTP or the development outbox), its links, and inbound replies. */
  mail: MailSettings;
  /** The model behind triage, summaries and QA reviews (src/ai). */
  ai: AiSettings;
  /** Routing and auto-assignment (src/modules/routing). */
  routing: RoutingSettings;
}

export interface RoutingSettings {
  /** A new ticket is routed once triaged; one whose triage has not come this long after creation (failed, or a slow model) is routed without it. */
  triageWaitSeconds: number;
}

/** Without AI_BASE_URL the local provider answers (offline, no model); with it, an OpenAI-compatible endpoint. */
export interface AiSettings {
  /** e.g. https://api.openai.com/v1, http://localhost:11434/v1 (Ollama); absent: the local provider. */
  baseUrl: string | undefined;
  apiKey: string | undefined;
  model: string;
  /** Per attempt. */
  timeoutMs: number;
  /** Attempts after the first, on 429, 5xx, timeouts and network errors, with exponential backoff. */
  maxRetries: number;
  /** The first backoff (doubled each retry, with jitter; a Retry-After header wins when shorter than 60 s). */
  retryBaseMs: number;
}

export interface WidgetLimits {
  /** A visitor's access token lives this long; the widget asks for a new one before it ends. */
  sessionTtlSeconds: number;
  /** The longest message (ticket description or comment) a visitor may send, in characters. */
  maxMessageLength: number;
  /** Requests per minute per visitor, on top of the default per-user limit. */
  visitorPerMinute: number;
}

/** Email: how it leaves, what its links point at, and how replies come back (src/mail, src/modules/accounts, src/modules/inbound-email). */
export interface MailSettings {
  /** Absent: every message is written as an .eml file to outboxDir (the development default). */
  smtp: SmtpSettings | undefined;
  outboxDir: string;
  /** The From of every message: an address, or `Name <address>`. */
  from: string;
  /** The web app the links in emails open (invitation and password-reset pages). */
  appUrl: string;
  invitationTtlSeconds: number;
  passwordResetTtlSeconds: number;
  /** Notification emails about one ticket wait this long for more news, then go as one digest. */
  digestWindowSeconds: number;
  /** Email jobs in flight at once per worker process. */
  concurrency: number;
  inbound: InboundEmailSettings;
}

/** nodemailer's SMTP transport: a URL (smtp://user:pass@host:587, smtps://… for TLS), or its parts. */
export type SmtpSettings = { url: string } | { host: string; port: number; secure: boolean; user: string | undefined; password: string | undefined };

export interface InboundEmailSettings {
  /** Standard Webhooks secret (whsec_…) the inbound hook signs with; absent: POST /v1/inbound/email answers 404. */
  secret: string | undefined;
  /** Reply addresses are reply+<token>@ this domain (routed to the provider's inbound hook). */
  domain: string;
  /** The largest raw message accepted. */
  maxBytes: number;
}

/** The live stream (GET /v1/stream). */
export interface StreamConfig {
  /** A ping this often; two missed pongs and the socket is dropped. */
  heartbeatSeconds: number;
  /** Bytes waiting for one slow socket before it is closed 4008 (reconnect and resume). */
  sendBufferBytes: number;
  /** The largest client message; larger closes the socket 4400. */
  maxMessageBytes: number;
  maxSubscriptions: number;
  /** How long a stream ticket stays usable (30 s; shorter in tests). */
  ticketTtlSeconds: number;
}

/** Typing indicators and who-is-viewing across instances (src/modules/presence). */
export interface PresenceSettings {
  /** At most one typing signal per user and ticket this often. */
  typingCoalesceMs: number;
  /** A typing indicator expires this long after the user's last "typing". */
  typingTtlMs: number;
  /** Each instance re-announces its viewers this often… */
  presenceRefreshMs: number;
  /** …and drops another instance's viewers not re-announced for this long (that instance died). */
  presenceTtlMs: number;
}

/** Where webhook deliveries may go, how they are signed, retried and paced. */
export interface WebhookSettings {
  /** CIDRs exempt from the refusal of private, loopback, link-local… addresses and of unusual ports. */
  allowedNetworks: string[];
  /** Ports a receiver outside allowedNetworks may listen on. */
  allowedPorts: number[];
  /** Refuse plain http:// webhook URLs; on by default in production. */
  requireHttps: boolean;
  /** One attempt from DNS lookup to the end of the response excerpt. */
  timeoutMs: number;
  /** Encrypts signing secrets at rest (AES-256-GCM; the key is the SHA-256 of this). */
  secretKey: string;
  /** Multiplies the retry schedule (5 s … 24 h): 1 in production, small in tests. */
  retryScale: number;
  /** Attempts in flight at once, per worker process and per endpoint. */
  concurrency: number;
  perEndpointConcurrency: number;
  /** An endpoint whose every attempt failed for this long is disabled (5 days). */
  disableAfterSeconds: number;
}

export interface S3Config {
  bucket: string;
  region: string;
  /** Absent: AWS S3 itself. Set for MinIO, R2, Ceph… */
  endpoint: string | undefined;
  /** Path-style URLs (endpoint/bucket/key), which most S3-compatible servers need. */
  forcePathStyle: boolean;
  /** Both absent: the AWS SDK's default credential chain (environment, profile, instance role). */
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
}

export interface AttachmentLimits {
  /** The server-wide cap; a tenant may set a lower one in its settings. */
  maxBytes: number;
  uploadUrlTtlSeconds: number;
  downloadUrlTtlSeconds: number;
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

/** Comma-separated values, trimmed; empty when unset. */
function list(env: Env, name: string): string[] {
  return (env[name] ?? "").split(",").map((value) => value.trim()).filter(Boolean);
}

function databaseUrl(env: Env): string | undefined {
  return connectionUrl(env, "DATABASE_URL", ["postgresql:", "postgres:"], "postgresql://user:password@host:5432/database");
}

function redisUrl(env: Env): string | undefined {
  return connectionUrl(env, "REDIS_URL", ["redis:", "rediss:"], "redis://[:password@]host:6379[/db], or rediss:// for TLS");
}

/** A server's URL with one of the given schemes; unset or empty: undefined. */
function connectionUrl(env: Env, name: string, schemes: readonly string[], expected: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a URL (expected ${expected})`);
  }
  if (!schemes.includes(url.protocol)) throw new ConfigError(name, `must be a ${schemes[0]}// URL (${expected}), got ${url.protocol}//…`);
  return raw;
}

function httpUrl(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a URL, got "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ConfigError(name, `must be an http:// or https:// URL, got "${raw}"`);
  return raw.replace(/\/+$/, "");
}

function isNetwork(entry: string): boolean {
  const [address = "", prefix, ...rest] = entry.split("/");
  if (rest.length > 0 || net.isIP(address) === 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (net.isIPv4(address) ? 32 : 128);
}

function webhooks(env: Env, nodeEnv: NodeEnv, secretKey: string): WebhookSettings {
  const allowedNetworks = list(env, "WEBHOOK_ALLOWED_NETWORKS");
  const badNetwork = allowedNetworks.find((entry) => !isNetwork(entry));
  if (badNetwork !== undefined) throw new ConfigError("WEBHOOK_ALLOWED_NETWORKS", `must be comma-separated IP addresses or CIDRs (e.g. 127.0.0.0/8,::1/128), got "${badNetwork}"`);
  const ports = list(env, "WEBHOOK_ALLOWED_PORTS");
  const allowedPorts = ports.length > 0 ? ports : ["80", "443", "8080", "8443"];
  const badPort = allowedPorts.find((entry) => !/^\d{1,5}$/.test(entry) || Number(entry) < 1 || Number(entry) > 65535);
  if (badPort !== undefined) throw new ConfigError("WEBHOOK_ALLOWED_PORTS", `must be comma-separated port numbers (1-65535), got "${badPort}"`);
  return {
    allowedNetworks,
    allowedPorts: allowedPorts.map(Number),
    requireHttps: boolean(env, "WEBHOOK_REQUIRE_HTTPS", nodeEnv === "production"),
    timeoutMs: integer(env, "WEBHOOK_TIMEOUT_MS", 15_000, 100, 120_000),
    secretKey,
    retryScale: decimal(env, "WEBHOOK_RETRY_SCALE", 1, 0, 10),
    concurrency: integer(env, "WEBHOOK_CONCURRENCY", 64, 1, 1_000),
    perEndpointConcurrency: integer(env, "WEBHOOK_ENDPOINT_CONCURRENCY", 8, 1, 100),
    disableAfterSeconds: integer(env, "WEBHOOK_DISABLE_AFTER_SECONDS", 5 * 86_400, 1, 365 * 86_400),
  };
}

/** A comma-separated list of exact origins (`https://app.example.com`), as browsers send them. */
function origins(env: Env, name: string): string[] {
  const items = list(env, name);
  for (const item of items) {
    let origin: string | undefined;
    try {
      const url = new URL(item);
      origin = url.protocol === "http:" || url.protocol === "https:" ? url.origin : undefined;
    } catch {
      origin = undefined;
    }
    if (origin !== item.replace(/\/$/, "")) {
      throw new ConfigError(name, `must list origins like https://app.example.com (scheme, host and port only, comma-separated), got "${item}"`);
    }
  }
  return items.map((item) => item.replace(/\/$/, ""));
}

function storage(env: Env): Config["storage"] {
  const bucket = env.S3_BUCKET || undefined;
  const driver = oneOf(env, "STORAGE_DRIVER", ["local", "s3"] as const, bucket ? "s3" : "local");
  if (driver === "local") return { driver };
  if (!bucket) throw new ConfigError("S3_BUCKET", "is required when STORAGE_DRIVER is s3");
  const accessKeyId = env.S3_ACCESS_KEY_ID || undefined;
  const secretAccessKey = env.S3_SECRET_ACCESS_KEY || undefined;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new ConfigError(accessKeyId ? "S3_SECRET_ACCESS_KEY" : "S3_ACCESS_KEY_ID", "must be set together with the other S3 key (or leave both unset for the default AWS credential chain)");
  }
  return {
    driver,
    s3: {
      bucket,
      region: env.S3_REGION || "us-east-1",
      endpoint: httpUrl(env, "S3_ENDPOINT"),
      forcePathStyle: boolean(env, "S3_FORCE_PATH_STYLE", false),
      accessKeyId,
      secretAccessKey,
    },
  };
}

function decimal(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || value < min || value > max) throw new ConfigError(name, `must be a number between ${min} and ${max}, got "${raw}"`);
  return value;
}

function checkSecret(name: string, value: string): void {
  if (value.length < MIN_SECRET_LENGTH || KNOWN_WEAK_SECRETS.has(value.toLowerCase())) {
    throw new ConfigError(name, `must be a random string of at least ${MIN_SECRET_LENGTH} characters (try: openssl rand -base64 48)`);
  }
}

/** Development convenience: a secret generated once and kept under the data directory. */
function developmentSecret(dataDir: string, fileName: string): string {
  const file = path.join(dataDir, fileName);
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
  else jwtSecret = developmentSecret(dataDir, "jwt-secret");

  let webhookSecretKey = env.WEBHOOK_SECRET_KEY;
  if (webhookSecretKey) checkSecret("WEBHOOK_SECRET_KEY", webhookSecretKey);
  else if (nodeEnv === "production") throw new ConfigError("WEBHOOK_SECRET_KEY", "is required in production");
  else webhookSecretKey = developmentSecret(dataDir, "webhook-secret-key");

  const publicUrl = httpUrl(env, "PUBLIC_URL");
  const storageConfig = storage(env);
  // The local driver signs links to the API itself; in production their origin cannot come from
  // a Host header anyone can set.
  if (nodeEnv === "production" && storageConfig.driver === "local" && publicUrl === undefined) {
    throw new ConfigError("PUBLIC_URL", "is required in production when attachments are stored locally (the origin of the upload and download links the API signs)");
  }

  const platformOperatorToken = env.PLATFORM_OPERATOR_TOKEN || undefined;
  if (platformOperatorToken) checkSecret("PLATFORM_OPERATOR_TOKEN", platformOperatorToken);
  const metricsToken = env.METRICS_TOKEN || undefined;
  if (metricsToken) checkSecret("METRICS_TOKEN", metricsToken);

  return {
    env: nodeEnv,
    host: env.HOST || "127.0.0.1",
    port: integer(env, "PORT", 3000, 0, 65535),
    logLevel: oneOf(env, "LOG_LEVEL", ["error", "warn", "info", "debug"] as const, "info"),
    databaseUrl: databaseUrl(env),
    database: {
      poolSize: integer(env, "DATABASE_POOL_SIZE", 10, 1, 1_000),
      connectionTimeoutMs: integer(env, "DATABASE_CONNECTION_TIMEOUT_MS", 5_000, 1, 600_000),
      statementTimeoutMs: integer(env, "DATABASE_STATEMENT_TIMEOUT_MS", 30_000, 0, 3_600_000),
      idleInTransactionTimeoutSeconds: integer(env, "DB_IDLE_IN_TRANSACTION_TIMEOUT_SECONDS", 60, 1, 86_400),
    },
    dataDir,
    embeddedPostgresPort: integer(env, "EMBEDDED_PG_PORT", 54329, 1024, 65535),
    jwtSecret,
    accessTokenTtlSeconds: integer(env, "ACCESS_TOKEN_TTL_SECONDS", 900, 30, 86_400),
    refreshTokenTtlSeconds: integer(env, "REFRESH_TOKEN_TTL_SECONDS", 30 * 86_400, 300, 365 * 86_400),
    refreshReuseGraceSeconds: integer(env, "REFRESH_TOKEN_REUSE_GRACE_SECONDS", 30, 0, 300),
    sessionCacheTtlSeconds: integer(env, "SESSION_CACHE_TTL_SECONDS", 5, 0, 60),
    apiKeyEnvironment: oneOf(env, "API_KEY_ENVIRONMENT", ["live", "test"] as const, nodeEnv === "production" ? "live" : "test"),
    platformOperatorToken,
    metricsToken,
    bodyLimitBytes: integer(env, "BODY_LIMIT_BYTES", 1_048_576, 1024, 100 * 1_048_576),
    rateLimit: {
      perMinute: integer(env, "RATE_LIMIT_PER_MINUTE", 600, 1, 1_000_000),
      authPerMinute: integer(env, "AUTH_RATE_LIMIT_PER_MINUTE", 20, 1, 1_000_000),
      tenantPerMinute: integer(env, "RATE_LIMIT_TENANT_PER_MINUTE", 6_000, 0, 100_000_000),
      publicWritesPerMinute: integer(env, "PUBLIC_WRITE_RATE_LIMIT_PER_MINUTE", DEFAULT_PUBLIC_WRITES_PER_MINUTE, 1, 1_000_000),
    },
    redisUrl: redisUrl(env),
    trustProxy: boolean(env, "TRUST_PROXY", false),
    storage: storageConfig,
    attachments: {
      maxBytes: integer(env, "ATTACHMENT_MAX_BYTES", 25 * 1_048_576, 1, 2_147_483_647),
      // S3 accepts presigned URLs of at most 7 days.
      uploadUrlTtlSeconds: integer(env, "ATTACHMENT_UPLOAD_URL_TTL_SECONDS", 900, 1, 604_800),
      downloadUrlTtlSeconds: integer(env, "ATTACHMENT_DOWNLOAD_URL_TTL_SECONDS", 300, 1, 604_800),
    },
    workers: boolean(env, "WORKERS", true),
    publicUrl,
    allowedHosts: list(env, "ALLOWED_HOSTS"),
    corsOrigins: origins(env, "CORS_ORIGINS"),
    eventFeedPollMs: integer(env, "EVENT_FEED_POLL_MS", 2_000, 10, 60_000),
    helpCenter: { viewFlushMs: integer(env, "HELP_CENTER_VIEW_FLUSH_MS", 10_000, 10, 3_600_000) },
    webhooks: webhooks(env, nodeEnv, webhookSecretKey),
    stream: {
      heartbeatSeconds: integer(env, "STREAM_HEARTBEAT_SECONDS", 25, 1, 300),
      sendBufferBytes: integer(env, "STREAM_SEND_BUFFER_BYTES", 1_048_576, 16_384, 64 * 1_048_576),
      maxMessageBytes: 16_384,
      maxSubscriptions: 100,
      ticketTtlSeconds: 30,
    },
    presence: presence(env),
    widget: {
      sessionTtlSeconds: integer(env, "WIDGET_SESSION_TTL_SECONDS", 3_600, 60, 86_400),
      maxMessageLength: integer(env, "WIDGET_MAX_MESSAGE_LENGTH", 5_000, 1, 65_536),
      visitorPerMinute: integer(env, "WIDGET_VISITOR_PER_MINUTE", 120, 1, 100_000),
    },
    mail: mail(env, dataDir, publicUrl, integer(env, "PORT", 3000, 0, 65535)),
    ai: ai(env),
    routing: { triageWaitSeconds: integer(env, "ROUTING_TRIAGE_WAIT_SECONDS", 30, 1, 3_600) },
  };
}

function ai(env: Env): AiSettings {
  const baseUrl = httpUrl(env, "AI_BASE_URL");
  const model = env.AI_MODEL || undefined;
  if (baseUrl !== undefined && model === undefined) throw new ConfigError("AI_MODEL", "is required when AI_BASE_URL is set (e.g. gpt-4o-mini, or llama3.1 on Ollama)");
  if (baseUrl === undefined && env.AI_API_KEY) throw new ConfigError("AI_BASE_URL", "is required when AI_API_KEY is set (e.g. https://api.openai.com/v1)");
  return {
    baseUrl: baseUrl?.replace(/\/+$/, ""),
    apiKey: env.AI_API_KEY || undefined,
    model: model ?? "local",
    timeoutMs: integer(env, "AI_TIMEOUT_MS", 30_000, 100, 600_000),
    maxRetries: integer(env, "AI_MAX_RETRIES", 3, 0, 10),
    retryBaseMs: integer(env, "AI_RETRY_BASE_MS", 500, 1, 60_000),
  };
}

function mail(env: Env, dataDir: string, publicUrl: string | undefined, port: number): MailSettings {
  const appUrl = httpUrl(env, "APP_URL") ?? publicUrl ?? `http://localhost:${port}`;
  const secret = env.INBOUND_EMAIL_SECRET || undefined;
  if (secret !== undefined && !/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/.test(secret)) {
    throw new ConfigError("INBOUND_EMAIL_SECRET", "must be a Standard Webhooks secret: whsec_ and at least 24 random bytes in base64 (try: echo whsec_$(openssl rand -base64 32))");
  }
  const domain = env.INBOUND_EMAIL_DOMAIN || new URL(appUrl).hostname;
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(domain)) throw new ConfigError("INBOUND_EMAIL_DOMAIN", `must be a domain name, got "${domain}"`);
  const from = env.MAIL_FROM || `Docket <no-reply@${domain}>`;
  if (!/^([^<>]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/.test(from.trim())) throw new ConfigError("MAIL_FROM", `must be an address or "Name <address>", got "${from}"`);
  return {
    smtp: smtp(env),
    outboxDir: path.resolve(dataDir, env.MAIL_OUTBOX_DIR || "outbox"),
    from,
    appUrl,
    invitationTtlSeconds: integer(env, "INVITATION_TTL_SECONDS", 7 * 86_400, 60, 90 * 86_400),
    passwordResetTtlSeconds: integer(env, "PASSWORD_RESET_TTL_SECONDS", 3_600, 60, 7 * 86_400),
    digestWindowSeconds: integer(env, "EMAIL_DIGEST_WINDOW_SECONDS", 120, 0, 86_400),
    concurrency: integer(env, "MAIL_CONCURRENCY", 4, 1, 100),
    inbound: { secret, domain: domain.toLowerCase(), maxBytes: integer(env, "INBOUND_EMAIL_MAX_BYTES", 40 * 1_048_576, 1024, 200 * 1_048_576) },
  };
}

function smtp(env: Env): SmtpSettings | undefined {
  const url = connectionUrl(env, "SMTP_URL", ["smtp:", "smtps:"], "smtp://user:password@host:587, or smtps:// for TLS from the first byte");
  if (url !== undefined) return { url };
  const host = env.SMTP_HOST || undefined;
  if (host === undefined) {
    const stray = ["SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "SMTP_SECURE"].find((name) => env[name]);
    if (stray) throw new ConfigError("SMTP_HOST", `is required when ${stray} is set (or give the whole server as SMTP_URL)`);
    return undefined;
  }
  const secure = boolean(env, "SMTP_SECURE", env.SMTP_PORT === "465");
  const user = env.SMTP_USER || undefined;
  const password = env.SMTP_PASSWORD || undefined;
  if ((user === undefined) !== (password === undefined)) throw new ConfigError(user ? "SMTP_PASSWORD" : "SMTP_USER", "must be set together with the other (or leave both unset for a server without authentication)");
  return { host, port: integer(env, "SMTP_PORT", secure ? 465 : 587, 1, 65535), secure, user, password };
}

function presence(env: Env): PresenceSettings {
  const presenceRefreshMs = integer(env, "PRESENCE_REFRESH_MS", 10_000, 50, 600_000);
  // Two refreshes missed in a row before an instance's viewers are dropped.
  const presenceTtlMs = integer(env, "PRESENCE_TTL_MS", 25_000, 100, 3_600_000);
  if (presenceTtlMs <= 2 * presenceRefreshMs) throw new ConfigError("PRESENCE_TTL_MS", `must be more than twice PRESENCE_REFRESH_MS (${presenceRefreshMs}), got ${presenceTtlMs}`);
  return {
    typingCoalesceMs: integer(env, "TYPING_COALESCE_MS", 2_000, 0, 60_000),
    typingTtlMs: integer(env, "TYPING_TTL_MS", 6_000, 100, 600_000),
    presenceRefreshMs,
    presenceTtlMs,
  };
}

/**
 * `.env` in the working directory, when there is one, into process.env (as .env.example suggests):
 * only variables the real environment does not set, so an exported variable always wins.
 * Returns the file read, for the start-up log.
 */
export function loadDotEnv(cwd = process.cwd()): string | undefined {
  const file = path.join(cwd, ".env");
  if (!fs.existsSync(file)) return undefined;
  try {
    process.loadEnvFile(file);
  } catch (error) {
    throw new ConfigError(file, `could not be read: ${(error as Error).message}`);
  }
  return file;
}

/** For the process entries: `.env`, then the configuration, or a one-line message naming the variable and exit 1. */
export function loadConfigOrExit(): Config {
  try {
    loadDotEnv();
    return loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
