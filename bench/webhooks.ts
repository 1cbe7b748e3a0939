// Webhook delivery speed: `node bench/webhooks.ts` (also `npm run bench:webhooks`).
// Starts an embedded PostgreSQL and the API with its workers (`node src/server.ts`), and a
// receiver on loopback (node:http, answers 204 at once) in this process. Then:
//  1. throughput: 2,000 events committed at once (one SQL transaction) to 10 subscribed endpoints,
//     20,000 deliveries, and the time until the receiver has them all: sustained deliveries/s.
//     Target ≥ 1,000/s on 2 cores.
//  2. latency: events committed at 200/s for 10 s, each in its own transaction (one endpoint
//     subscribed), and for each the time from COMMIT to the delivery's first attempt reaching the
//     receiver: p50/p95. Target p95 ≤ 50 ms. (Written in SQL as appendEvent writes them, so the
//     cost of creating tickets through the API on the same 2 cores is not in the figure.)
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../src/db/embedded.ts";
import { migrate } from "../src/db/migrate.ts";
import { freePort, startChild, waitUntilReady, type Child } from "./processes.ts";

const EVENTS = 2_000;
const ENDPOINTS = 10;
const RATE = 200;
const LATENCY_SECONDS = 10;
const root = path.resolve(import.meta.dirname, "..");

async function json<T>(response: Response, expected: number): Promise<T> {
  if (response.status !== expected) throw new Error(`${response.url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const progress = (message: string) => process.stderr.write(`${message}\n`);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function main() {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "docket-bench-webhooks-"));
  const database = await startEmbeddedPostgres({ dataDir: path.join(workDir, "pg"), port: await freePort(56200) });
  let server: Child | undefined;
  const arrivals: Array<{ path: string; at: number; body: string }> = [];
  const countByPath = new Map<string, number>();
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      arrivals.push({ path: req.url ?? "/", at: performance.now(), body: Buffer.concat(chunks).toString("utf8") });
      countByPath.set(req.url ?? "/", (countByPath.get(req.url ?? "/") ?? 0) + 1);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as net.AddressInfo).port}`;
  try {
    await migrate(database.url);
    const port = await freePort(56300);
    const base = `http://127.0.0.1:${port}`;
    server = startChild(
      "API server",
      "src/server.ts",
      {
        // development: http endpoint URLs are accepted (production requires https).
        NODE_ENV: "development",
        DATABASE_URL: database.url,
        HOST: "127.0.0.1",
        PORT: String(port),
        DATA_DIR: path.join(workDir, "data"),
        JWT_SECRET: crypto.randomBytes(48).toString("base64url"),
        WEBHOOK_SECRET_KEY: crypto.randomBytes(48).toString("base64url"),
        WEBHOOK_ALLOWED_NETWORKS: "127.0.0.0/8",
        RATE_LIMIT_PER_MINUTE: "1000000",
        RATE_LIMIT_TENANT_PER_MINUTE: "100000000", // one tenant: its quota counts but never refuses
        AUTH_RATE_LIMIT_PER_MINUTE: "1000000",
        LOG_LEVEL: "warn",
      },
      root,
      process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [],
    );
    await waitUntilReady(server, `${base}/readyz`);
    const signup = await json<{ accessToken: string; tenant: { id: string } }>(
      await fetch(`${base}/v1/auth/signup`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ tenantName: "Bench", tenantSlug: "bench", name: "Bench Admin", email: "bench@bench.test", password: "correct horse battery staple" }),
      }),
      201,
    );
    const headers = { authorization: `Bearer ${signup.accessToken}`, "content-type": "application/json" };
    const subscribe = async (hookPath: string, eventTypes: string[]) =>
      json<{ id: string }>(await fetch(`${base}/v1/webhooks`, { method: "POST", headers, body: JSON.stringify({ url: `${receiverUrl}${hookPath}`, eventTypes }) }), 201);
    const waitFor = async (hookPath: string, count: number, timeoutMs: number) => {
      const deadline = performance.now() + timeoutMs;
      while ((countByPath.get(hookPath) ?? 0) < count) {
        if (performance.now() > deadline) throw new Error(`only ${countByPath.get(hookPath) ?? 0} of ${count} deliveries to ${hookPath} arrived`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return performance.now();
    };

    // 1. Throughput. Events written straight into the log in one transaction, the way appendEvent
    // writes them (so the API's own speed is not what is measured), with its NOTIFY.
    for (let i = 0; i < ENDPOINTS; i++) await subscribe(`/bulk-${i}`, ["ticket.updated"]);
    const sql = new pg.Client({ connectionString: database.url });
    await sql.connect();
    const writeBurst = async (count: number) => {
      await sql.query("BEGIN");
      await sql.query(
        `INSERT INTO "Event" ("tenantId", id, type, "actorType", "entityType", "entityId", before, after)
         SELECT $1, gen_random_uuid(), 'ticket.updated', 'system', 'ticket', gen_random_uuid(), '{"priority":"low"}', '{"priority":"high"}' FROM generate_series(1, $2)`,
        [signup.tenant.id, count],
      );
      await sql.query("COMMIT");
    };
    progress("throughput: warm-up");
    // Warm-up (JIT, connections), then the measured burst.
    await writeBurst(200);
    await waitFor(`/bulk-${ENDPOINTS - 1}`, 200, 60_000);
    for (let i = 0; i < ENDPOINTS; i++) await waitFor(`/bulk-${i}`, 200, 60_000);
    arrivals.length = 0;
    countByPath.clear();
    progress(`throughput: ${EVENTS} events × ${ENDPOINTS} endpoints`);
    const burstStart = performance.now();
    await writeBurst(EVENTS);
    let burstEnd = burstStart;
    for (let i = 0; i < ENDPOINTS; i++) burstEnd = Math.max(burstEnd, await waitFor(`/bulk-${i}`, EVENTS, 300_000));
    const deliveries = EVENTS * ENDPOINTS;
    const perSecond = deliveries / ((burstEnd - burstStart) / 1000);
    await sql.end();

    // 2. Latency at 200 events/s: each event its own transaction, written as appendEvent writes
    // it (with its NOTIFY), from connections of the bench; timed from COMMIT's return.
    progress(`latency: ${RATE} events/s for ${LATENCY_SECONDS} s`);
    await subscribe("/latency", ["ticket.created"]);
    arrivals.length = 0;
    countByPath.clear();
    const writers = new pg.Pool({ connectionString: database.url, max: 8 });
    const committedAt = new Map<string, number>();
    const pending: Promise<void>[] = [];
    const total = RATE * LATENCY_SECONDS;
    const started = performance.now();
    for (let n = 0; n < total; n++) {
      const due = started + (n * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const entityId = crypto.randomUUID();
      pending.push(
        (async () => {
          const client = await writers.connect();
          await client.query("BEGIN");
          await client.query(
            `INSERT INTO "Event" ("tenantId", id, type, "actorType", "entityType", "entityId", after) VALUES ($1, gen_random_uuid(), 'ticket.created', 'system', 'ticket', $2, $3)`,
            [signup.tenant.id, entityId, JSON.stringify({ title: `latency ${n}` })],
          );
          await client.query("COMMIT");
          committedAt.set(entityId, performance.now());
          client.release();
        })(),
      );
    }
    await Promise.all(pending);
    const achievedRate = total / ((performance.now() - started) / 1000);
    await waitFor("/latency", total, 60_000);
    await writers.end();
    const latencies: number[] = [];
    const seen = new Set<string>();
    for (const arrival of arrivals.filter((a) => a.path === "/latency")) {
      const payload = JSON.parse(arrival.body) as { data: { id: string; entity: { id: string } } };
      if (seen.has(payload.data.id)) continue; // first attempt only
      seen.add(payload.data.id);
      const committed = committedAt.get(payload.data.entity.id);
      // The delivery can reach the receiver before COMMIT's answer reaches the bench: that counts as 0.
      if (committed !== undefined) latencies.push(Math.max(0, arrival.at - committed));
    }
    latencies.sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p95 = percentile(latencies, 95);

    const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");
    console.log(
      [
        `Webhook deliveries (${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? "?"}), API with workers in one process, receiver on loopback answering 204`,
        `  throughput: ${deliveries.toLocaleString("en-US")} deliveries (${EVENTS.toLocaleString("en-US")} events × ${ENDPOINTS} endpoints) in ${((burstEnd - burstStart) / 1000).toFixed(2)} s: ` +
          `${Math.round(perSecond).toLocaleString("en-US")} deliveries/s  (target ≥ 1,000/s: ${verdict(perSecond >= 1000)})`,
        `  latency at ${Math.round(achievedRate)} events/s (${latencies.length} events, one transaction each), COMMIT → first attempt at the receiver: ` +
          `p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms  (target p95 ≤ 50 ms: ${verdict(p95 <= 50)})`,
      ].join("\n"),
    );
  } finally {
    await server?.stop();
    receiver.closeAllConnections();
    receiver.close();
    await database.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
