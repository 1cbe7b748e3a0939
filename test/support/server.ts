// A real Docket server for a test file: its own database cloned from the migrated template, the
// production app from buildApp, listening on an ephemeral loopback port. Tests talk to it
// through the SDK, over HTTP, like any client.
import crypto from "node:crypto";
import fs from "node:fs";
import type http from "node:http";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import pg from "pg";
import { inject } from "vitest";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/app.ts";
import { createServices, type Services } from "../../src/services.ts";
import { startWorkers } from "../../src/workers.ts";
import type { Config } from "../../src/config.ts";
import { connectDatabase, type DatabaseHandle } from "../../src/db/client.ts";
import { createLogger } from "../../src/logger.ts";
import { createDocketClient, type DocketClient } from "../../sdk/index.ts";

export interface TestServer {
  url: string;
  app: FastifyInstance;
  services: Services;
  database: DatabaseHandle;
  databaseUrl: string;
  config: Config;
  /** Every log line the server wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  client(tokens?: { accessToken?: string; refreshToken?: string }): DocketClient;
  /** One statement on a connection of its own as DATABASE_URL's role (the tables' owner): DDL under the running server. */
  asOwner(sql: string): Promise<pg.QueryResult>;
  close(): Promise<void>;
}

/** The inbound hook's signing secret every test server accepts (tests sign their emails with it). */
export const INBOUND_EMAIL_SECRET = `whsec_${crypto.randomBytes(32).toString("base64")}`;

/**
 * The test process's data directories, under one root: removed, with whatever configurations
 * read only for their defaults left in it, once the process's last test server has closed (and
 * at exit, if one never closes). Made again if another server starts after that.
 */
let dataDirsRoot: string | undefined;
let serversOpen = 0;
function newDataDir(): string {
  if (dataDirsRoot === undefined) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "docket-test-data-"));
    process.once("exit", () => fs.rmSync(root, { recursive: true, force: true }));
    dataDirsRoot = root;
  }
  return fs.mkdtempSync(path.join(dataDirsRoot, "server-"));
}
function serverClosed(): void {
  serversOpen -= 1;
  if (serversOpen > 0 || dataDirsRoot === undefined) return;
  fs.rmSync(dataDirsRoot, { recursive: true, force: true });
  dataDirsRoot = undefined;
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  // Local attachments and the mail outbox live here; a directory per server.
  const dataDir = overrides.dataDir ?? newDataDir();
  return {
    env: "test",
    host: "127.0.0.1",
    port: 0,
    logLevel: "info",
    databaseUrl: undefined,
    database: { poolSize: 5, connectionTimeoutMs: 5_000, statementTimeoutMs: 30_000, idleInTransactionTimeoutSeconds: 60 },
    dataDir,
    embeddedPostgresPort: 0,
    jwtSecret: crypto.randomBytes(48).toString("base64url"),
    accessTokenTtlSeconds: 900,
    refreshTokenTtlSeconds: 86_400,
    refreshReuseGraceSeconds: 30,
    sessionCacheTtlSeconds: 5,
    apiKeyEnvironment: "test",
    platformOperatorToken: crypto.randomBytes(32).toString("base64url"),
    metricsToken: undefined,
    bodyLimitBytes: 1_048_576,
    rateLimit: { perMinute: 100_000, authPerMinute: 100_000, tenantPerMinute: 1_000_000 },
    redisUrl: undefined,
    trustProxy: false,
    storage: { driver: "local" },
    attachments: { maxBytes: 25 * 1_048_576, uploadUrlTtlSeconds: 900, downloadUrlTtlSeconds: 300 },
    workers: true,
    publicUrl: undefined,
    allowedHosts: [],
    corsOrigins: [],
    eventFeedPollMs: 500,
    helpCenter: { viewFlushMs: 200 },
    // Test receivers listen on loopback, which production refuses.
    webhooks: {
      allowedNetworks: ["127.0.0.0/8", "::1/128"],
      allowedPorts: [80, 443, 8080, 8443],
      requireHttps: false,
      timeoutMs: 15_000,
      secretKey: crypto.randomBytes(32).toString("base64url"),
      retryScale: 1,
      concurrency: 16,
      perEndpointConcurrency: 4,
      disableAfterSeconds: 5 * 86_400,
    },
    stream: { heartbeatSeconds: 25, sendBufferBytes: 1_048_576, maxMessageBytes: 16_384, maxSubscriptions: 100, ticketTtlSeconds: 30 },
    presence: { typingCoalesceMs: 2_000, typingTtlMs: 6_000, presenceRefreshMs: 10_000, presenceTtlMs: 25_000 },
    widget: { sessionTtlSeconds: 3_600, maxMessageLength: 5_000, visitorPerMinute: 10_000 },
    mail: {
      smtp: undefined,
      outboxDir: path.join(dataDir, "outbox"),
      from: "Docket <no-reply@docket.test>",
      appUrl: "https://app.docket.test",
      invitationTtlSeconds: 7 * 86_400,
      passwordResetTtlSeconds: 3_600,
      digestWindowSeconds: 1,
      concurrency: 4,
      inbound: { secret: INBOUND_EMAIL_SECRET, domain: "reply.docket.test", maxBytes: 40 * 1_048_576 },
    },
    // The local provider: offline. Tests of the OpenAI-compatible client override baseUrl.
    ai: { baseUrl: undefined, apiKey: undefined, model: "local", timeoutMs: 5_000, maxRetries: 2, retryBaseMs: 20 },
    routing: { triageWaitSeconds: 30 },
    ...overrides,
  };
}

async function createDatabaseFromTemplate(): Promise<string> {
  const adminUrl = inject("adminDatabaseUrl");
  const template = inject("templateDatabase");
  const name = `${template}_${crypto.randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface StartOptions {
  /** Another instance of the same deployment: this database (another server's databaseUrl) instead of a new one. */
  databaseUrl?: string;
  /** The clock of SLA clocks and timers (ms since the epoch); default: the system clock. */
  now?: () => number;
}

export async function startServer(overrides: Partial<Config> = {}, options: StartOptions = {}): Promise<TestServer> {
  const config = testConfig(overrides);
  serversOpen += 1;
  const databaseUrl = options.databaseUrl ?? (await createDatabaseFromTemplate());
  const database = connectDatabase(databaseUrl, config.database);
  const logs: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger({ level: config.logLevel, stream });
  const services = createServices({ config, database, logger, now: options.now });
  const app = await buildApp({ config, logger, services });
  const workers = config.workers ? await startWorkers(services) : undefined;
  await app.listen({ host: "127.0.0.1", port: 0 });
  const inFlight = requestsInFlight(app);
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  return {
    url,
    app,
    services,
    database,
    databaseUrl,
    config,
    logs,
    client: (tokens) => createDocketClient({ baseUrl: url, ...tokens }),
    async asOwner(sql) {
      const owner = new pg.Client({ connectionString: databaseUrl });
      await owner.connect();
      try {
        return await owner.query(sql);
      } finally {
        await owner.end();
      }
    },
    async close() {
      await step("the HTTP server", () => app.close(), inFlight);
      await step("the workers", async () => workers?.stop());
      await step("the services", () => services.close());
      await step("the database pool", () => database.close(), () => `${database.pool.totalCount - database.pool.idleCount} connections checked out`);
      if (overrides.dataDir === undefined) fs.rmSync(config.dataDir, { recursive: true, force: true });
      serverClosed();
    },
  };
}

const SLOW_CLOSE_MS = 15_000;

/** What the server still holds open (requests, with their age and whether the client is gone, and upgraded sockets): what app.close() waits for. */
function requestsInFlight(app: FastifyInstance): () => string {
  const open = new Map<http.IncomingMessage, number>();
  app.server.on("request", (request: http.IncomingMessage, response: http.ServerResponse) => {
    open.set(request, Date.now());
    response.once("close", () => open.delete(request));
  });
  app.server.on("upgrade", (request: http.IncomingMessage) => {
    open.set(request, Date.now());
    request.socket.once("close", () => open.delete(request));
  });
  return () =>
    [...open].map(([request, since]) => `${request.headers.upgrade ? "upgraded " : ""}${request.method} ${request.url?.split("?")[0]} for ${Math.round((Date.now() - since) / 1000)} s${request.socket.destroyed ? ", client gone" : ""}`).join("; ") ||
    "no request in flight";
}

/** One step of a shutdown; one that hangs says which it is (a hook timeout alone names only the hook). */
async function step(what: string, run: () => Promise<unknown>, detail?: () => string): Promise<void> {
  const watchdog = setInterval(() => console.error(`server.close() is still waiting for ${what}${detail ? ` (${detail()})` : ""}`), SLOW_CLOSE_MS);
  try {
    await run();
  } finally {
    clearInterval(watchdog);
  }
}

export interface OtherInstance {
  url: string;
  services: Services;
  close(): Promise<void>;
}

/** Another API instance on the same database, as a second server behind a load balancer would be (no workers, quiet logs). */
export async function startOtherInstance(first: TestServer, overrides: Partial<Config> = {}): Promise<OtherInstance> {
  const config = { ...first.config, ...overrides };
  const logger = createLogger({ level: "warn", stream: new Writable({ write: (_chunk, _encoding, done) => done() }) });
  const services = createServices({ config, database: first.database, logger });
  const app = await buildApp({ config, logger, services });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  return {
    url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`,
    services,
    async close() {
      await app.close();
      await services.close();
    },
  };
}
