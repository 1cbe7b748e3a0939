// The API under benchmark: `node src/server.ts` as a child process on loopback (bench/processes.ts),
// with fresh secrets and rate limits no benchmark reaches, and its first tenant signed up over HTTP.
// One place for what every single-server benchmark repeated; each passes only what it changes.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmbeddedPostgres } from "../src/db/embedded.ts";
import { migrate } from "../src/db/migrate.ts";
import { freePort, startChild, startScriptFlags, waitUntilReady, type Child } from "./processes.ts";

export const ROOT = path.resolve(import.meta.dirname, "..");
export const PASSWORD = "correct horse battery staple";

export interface ApiServer {
  child: Child;
  port: number;
  /** `http://127.0.0.1:<port>` */
  base: string;
}

export interface ApiServerOptions {
  databaseUrl: string;
  dataDir: string;
  /** production also sets PUBLIC_URL (required there with local attachments). */
  nodeEnv: "development" | "production";
  /** The first port to try (freePort). */
  fromPort: number;
  /** More variables, or other values for the defaults. */
  env?: Record<string, string>;
  /** Node's flags; by default npm start's (without its young-generation cap V8 sizes the heap from the machine's memory, and RSS says little). */
  nodeOptions?: string[];
  name?: string;
  readyTimeoutMs?: number;
}

/** Starts the API and resolves once GET /readyz answers; stops it again if it never does. */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const port = await freePort(options.fromPort);
  const base = `http://127.0.0.1:${port}`;
  const child = startChild(
    options.name ?? "API server",
    "src/server.ts",
    {
      NODE_ENV: options.nodeEnv,
      DATABASE_URL: options.databaseUrl,
      HOST: "127.0.0.1",
      PORT: String(port),
      ...(options.nodeEnv === "production" ? { PUBLIC_URL: base } : {}),
      DATA_DIR: options.dataDir,
      JWT_SECRET: crypto.randomBytes(48).toString("base64url"),
      WEBHOOK_SECRET_KEY: crypto.randomBytes(48).toString("base64url"),
      RATE_LIMIT_PER_MINUTE: "1000000",
      RATE_LIMIT_TENANT_PER_MINUTE: "100000000", // the tenant's quota counts but never refuses
      AUTH_RATE_LIMIT_PER_MINUTE: "1000000",
      LOG_LEVEL: "warn",
      ...options.env,
    },
    ROOT,
    options.nodeOptions ?? startScriptFlags(ROOT),
  );
  try {
    await waitUntilReady(child, `${base}/readyz`, options.readyTimeoutMs);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { child, port, base };
}

/** The response's JSON body, or an error naming the URL and what came instead of `expected`. */
export async function json<T>(response: Response, expected: number): Promise<T> {
  if (response.status !== expected) throw new Error(`${response.url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export interface BenchTenant {
  accessToken: string;
  tenant: { id: string };
  user: { id: string };
}

/** The benchmark's tenant (admin bench@bench.test), signed up through the API. */
export async function signUpBench(base: string, slug = "bench"): Promise<BenchTenant> {
  return json<BenchTenant>(
    await fetch(`${base}/v1/auth/signup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tenantName: "Bench", tenantSlug: slug, name: "Bench Admin", email: "bench@bench.test", password: PASSWORD }),
    }),
    201,
  );
}

export interface BenchDatabase {
  url: string;
  /** The bench's temporary directory (the database's files are under pg/): data dirs for the API go here too. */
  workDir: string;
  /** Stops PostgreSQL and removes the directory. */
  stop(): Promise<void>;
}

/** An embedded PostgreSQL in a temporary directory of its own, migrated. */
export async function startBenchDatabase(name: string, fromPort: number): Promise<BenchDatabase> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `docket-bench-${name}-`));
  const database = await startEmbeddedPostgres({ dataDir: path.join(workDir, "pg"), port: await freePort(fromPort) });
  const stop = async () => {
    await database.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  };
  try {
    await migrate(database.url);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: database.url, workDir, stop };
}
