import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";

const strongSecret = "x".repeat(20) + "y".repeat(20);
// A directory per case, under one that goes with the file.
const root = fs.mkdtempSync(path.join(os.tmpdir(), "docket-config-"));
const tmp = () => fs.mkdtempSync(path.join(root, "case-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("configuration", () => {
  it("has working defaults for development", () => {
    const config = loadConfig({}, tmp());
    expect(config).toMatchObject({ env: "development", port: 3000, databaseUrl: undefined, accessTokenTtlSeconds: 900 });
  });

  it("generates a development JWT secret once and keeps it under the data directory", () => {
    const cwd = tmp();
    const first = loadConfig({}, cwd).jwtSecret;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(loadConfig({}, cwd).jwtSecret).toBe(first);
    expect(fs.readFileSync(path.join(cwd, ".data", "jwt-secret"), "utf8")).toBe(first);
  });

  it("stops production start-up without a strong JWT secret, naming the variable", () => {
    expect(() => loadConfig({ NODE_ENV: "production" }, tmp())).toThrow("Invalid configuration: JWT_SECRET is required in production");
    expect(() => loadConfig({ NODE_ENV: "production", JWT_SECRET: "secret" }, tmp())).toThrow(/JWT_SECRET must be a random string of at least 32 characters/);
    expect(loadConfig({ NODE_ENV: "production", JWT_SECRET: strongSecret, PUBLIC_URL: "https://docket.example.com", WEBHOOK_SECRET_KEY: strongSecret }, tmp()).jwtSecret).toBe(strongSecret);
  });

  it("requires PUBLIC_URL in production when attachments are stored locally", () => {
    const production = { NODE_ENV: "production", JWT_SECRET: strongSecret, WEBHOOK_SECRET_KEY: strongSecret };
    expect(() => loadConfig(production, tmp())).toThrow(/Invalid configuration: PUBLIC_URL is required in production when attachments are stored locally/);
    expect(loadConfig({ ...production, PUBLIC_URL: "https://docket.example.com/" }, tmp()).publicUrl).toBe("https://docket.example.com");
    expect(loadConfig({ ...production, S3_BUCKET: "files" }, tmp()).publicUrl).toBeUndefined();
  });

  it("sizes the database pool and its timeouts from the environment", () => {
    expect(loadConfig({ JWT_SECRET: strongSecret }, tmp()).database).toEqual({ poolSize: 10, connectionTimeoutMs: 5_000, statementTimeoutMs: 30_000, idleInTransactionTimeoutSeconds: 60 });
    const tuned = loadConfig({ JWT_SECRET: strongSecret, DATABASE_POOL_SIZE: "40", DATABASE_CONNECTION_TIMEOUT_MS: "250", DATABASE_STATEMENT_TIMEOUT_MS: "0" }, tmp());
    expect(tuned.database).toEqual({ poolSize: 40, connectionTimeoutMs: 250, statementTimeoutMs: 0, idleInTransactionTimeoutSeconds: 60 });
    expect(() => loadConfig({ JWT_SECRET: strongSecret, DATABASE_POOL_SIZE: "0" }, tmp())).toThrow(/DATABASE_POOL_SIZE must be between 1 and 1000/);
  });

  it("times typing and presence from the environment, refusing a TTL that one lost refresh would cross", () => {
    expect(loadConfig({ JWT_SECRET: strongSecret }, tmp()).presence).toEqual({ typingCoalesceMs: 2_000, typingTtlMs: 6_000, presenceRefreshMs: 10_000, presenceTtlMs: 25_000 });
    expect(loadConfig({ JWT_SECRET: strongSecret, PRESENCE_REFRESH_MS: "1000", PRESENCE_TTL_MS: "3000" }, tmp()).presence).toMatchObject({ presenceRefreshMs: 1_000, presenceTtlMs: 3_000 });
    expect(() => loadConfig({ JWT_SECRET: strongSecret, PRESENCE_TTL_MS: "15000" }, tmp())).toThrow(/PRESENCE_TTL_MS must be more than twice PRESENCE_REFRESH_MS/);
  });

  it("reads ALLOWED_HOSTS as a comma-separated list", () => {
    expect(loadConfig({ JWT_SECRET: strongSecret, ALLOWED_HOSTS: " docket.internal, docket.lan:8080 ," }, tmp()).allowedHosts).toEqual(["docket.internal", "docket.lan:8080"]);
  });

  it("stops production start-up without a webhook secret key, and keeps a development one under the data directory", () => {
    expect(() => loadConfig({ NODE_ENV: "production", JWT_SECRET: strongSecret }, tmp())).toThrow("Invalid configuration: WEBHOOK_SECRET_KEY is required in production");
    expect(() => loadConfig({ WEBHOOK_SECRET_KEY: "changeme" }, tmp())).toThrow(/WEBHOOK_SECRET_KEY must be a random string of at least 32 characters/);
    const cwd = tmp();
    const first = loadConfig({}, cwd).webhooks.secretKey;
    expect(loadConfig({}, cwd).webhooks.secretKey).toBe(first);
    expect(fs.readFileSync(path.join(cwd, ".data", "webhook-secret-key"), "utf8")).toBe(first);
  });

  it.each([
    [{ PORT: "eighty" }, /PORT must be a whole number, got "eighty"/],
    [{ PORT: "70000" }, /PORT must be between 0 and 65535/],
    [{ NODE_ENV: "staging" }, /NODE_ENV must be one of development, production, test/],
    [{ DATABASE_URL: "mysql://x@y/z" }, /DATABASE_URL must be a postgresql:\/\/ URL/],
    [{ DATABASE_URL: "not a url" }, /DATABASE_URL is not a URL/],
    [{ REDIS_URL: "localhost:6379" }, /REDIS_URL must be a redis:\/\/ URL/],
    [{ REDIS_URL: "not a url" }, /REDIS_URL is not a URL/],
    [{ RATE_LIMIT_TENANT_PER_MINUTE: "lots" }, /RATE_LIMIT_TENANT_PER_MINUTE must be a whole number/],
    [{ TRUST_PROXY: "yes" }, /TRUST_PROXY must be true or false/],
    [{ PLATFORM_OPERATOR_TOKEN: "short" }, /PLATFORM_OPERATOR_TOKEN must be a random string/],
    [{ METRICS_TOKEN: "short" }, /METRICS_TOKEN must be a random string/],
    [{ LOG_LEVEL: "loud" }, /LOG_LEVEL must be one of/],
    [{ STORAGE_DRIVER: "s3" }, /S3_BUCKET is required when STORAGE_DRIVER is s3/],
    [{ STORAGE_DRIVER: "ftp" }, /STORAGE_DRIVER must be one of local, s3/],
    [{ S3_BUCKET: "b", S3_ENDPOINT: "minio:9000" }, /S3_ENDPOINT must be an http:\/\/ or https:\/\/ URL/],
    [{ S3_BUCKET: "b", S3_ACCESS_KEY_ID: "key" }, /S3_SECRET_ACCESS_KEY must be set together/],
    [{ ATTACHMENT_MAX_BYTES: "big" }, /ATTACHMENT_MAX_BYTES must be a whole number/],
    [{ PUBLIC_URL: "docket.example.com" }, /PUBLIC_URL is not a URL/],
    [{ CORS_ORIGINS: "*" }, /CORS_ORIGINS must list origins like https:\/\/app.example.com/],
    [{ CORS_ORIGINS: "https://app.example.com/login" }, /CORS_ORIGINS must list origins/],
    [{ SMTP_URL: "http://mail.example.com" }, /SMTP_URL must be a smtp:\/\/ URL/],
    [{ SMTP_PORT: "587" }, /SMTP_HOST is required when SMTP_PORT is set/],
    [{ SMTP_HOST: "mail.example.com", SMTP_USER: "me" }, /SMTP_PASSWORD must be set together/],
    [{ INBOUND_EMAIL_SECRET: "secret" }, /INBOUND_EMAIL_SECRET must be a Standard Webhooks secret/],
    [{ MAIL_FROM: "not an address" }, /MAIL_FROM must be an address/],
    [{ APP_URL: "app.example.com" }, /APP_URL is not a URL/],
  ])("rejects %o", (env, message) => {
    expect(() => loadConfig({ JWT_SECRET: strongSecret, ...env }, tmp())).toThrow(message);
  });

  it("sends email through SMTP when configured, else into an outbox under DATA_DIR", () => {
    const cwd = tmp();
    const development = loadConfig({ JWT_SECRET: strongSecret }, cwd).mail;
    expect(development.smtp).toBeUndefined();
    expect(development.outboxDir).toBe(path.join(cwd, ".data", "outbox"));
    expect(development.appUrl).toBe("http://localhost:3000");
    expect(development.inbound.secret).toBeUndefined();
    const configured = loadConfig(
      { JWT_SECRET: strongSecret, SMTP_HOST: "mail.example.com", SMTP_PORT: "465", SMTP_USER: "docket", SMTP_PASSWORD: "pw", PUBLIC_URL: "https://docket.example.com" },
      tmp(),
    ).mail;
    expect(configured.smtp).toEqual({ host: "mail.example.com", port: 465, secure: true, user: "docket", password: "pw" });
    expect(configured.appUrl).toBe("https://docket.example.com");
    expect(configured.inbound.domain).toBe("docket.example.com");
    expect(configured.from).toBe("Docket <no-reply@docket.example.com>");
    expect(loadConfig({ JWT_SECRET: strongSecret, SMTP_URL: "smtps://u:p@mail.example.com" }, tmp()).mail.smtp).toEqual({ url: "smtps://u:p@mail.example.com" });
  });

  it("stores attachments locally unless a bucket is configured", () => {
    expect(loadConfig({ JWT_SECRET: strongSecret }, tmp()).storage).toEqual({ driver: "local" });
    expect(loadConfig({ JWT_SECRET: strongSecret, S3_BUCKET: "files", S3_ENDPOINT: "http://127.0.0.1:9000/", S3_FORCE_PATH_STYLE: "true" }, tmp()).storage).toEqual({
      driver: "s3",
      s3: { bucket: "files", region: "us-east-1", endpoint: "http://127.0.0.1:9000", forcePathStyle: true, accessKeyId: undefined, secretAccessKey: undefined },
    });
  });

  it("allows no cross-origin access unless CORS_ORIGINS lists origins", () => {
    expect(loadConfig({ JWT_SECRET: strongSecret }, tmp()).corsOrigins).toEqual([]);
    expect(loadConfig({ JWT_SECRET: strongSecret, CORS_ORIGINS: " http://localhost:5173, https://app.example.com/ " }, tmp()).corsOrigins).toEqual([
      "http://localhost:5173",
      "https://app.example.com",
    ]);
  });

  it("documents every variable it reads in .env.example", () => {
    const source = fs.readFileSync(path.resolve(import.meta.dirname, "../src/config.ts"), "utf8");
    const read = new Set([...source.matchAll(/env(?:\.|, ")([A-Z][A-Z0-9_]*)/g)].map((match) => match[1]));
    const documented = fs.readFileSync(path.resolve(import.meta.dirname, "../.env.example"), "utf8");
    for (const variable of read) expect(documented, variable).toMatch(new RegExp(`^#?\\s*${variable}=`, "m"));
  });
});
