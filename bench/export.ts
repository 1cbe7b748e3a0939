// Streaming export speed: `node bench/export.ts [--tickets N] [--server-flags="…"]` (also `npm run bench:export`).
// Starts an embedded PostgreSQL and the API (`node src/server.ts`, NODE_ENV=production, no
// workers), signs up one tenant and seeds it with N tickets (default 1,000,000) in bulk SQL
// (bench/seed.ts). Then, for CSV and for JSON lines, twice each, GET /v1/tickets/export read to the
// end by a client in this process, timed: rows/s and MB/s, and the server's RSS (VmRSS from /proc,
// sampled every 20 ms) over its value before the export: the peak growth. Target: RSS growth ≤ 64 MB.
// A warm-up export of 10,000 tickets runs first, so the baseline has the code compiled and the
// pool open. Last, one slow reader (a 5 ms pause every 20 chunks) over the first 200,000 rows:
// the server must wait for it, not read ahead, so its RSS stays flat too. Then the reports over the
// same tenant (last 30 days), 5 times each: median and max. After each export the server's own
// memory figures (GET /metrics: V8's heap spaces, external memory) say where the RSS went.
import crypto from "node:crypto";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { residentMiB, type Child } from "./processes.ts";
import { signUpBench, startApiServer, startBenchDatabase, type ApiServer } from "./api-server.ts";
import { seedTickets } from "./seed.ts";

const { values: options } = parseArgs({ options: { tickets: { type: "string", default: "1000000" }, "server-flags": { type: "string" } } });
const TICKETS = Number(options.tickets);
const TARGET_RSS_GROWTH_MB = 64;
const progress = (message: string) => process.stderr.write(`${message}\n`);
const mb = (bytes: number) => bytes / 1_048_576;

const METRICS_TOKEN = crypto.randomBytes(32).toString("base64url");

/** The server's memory as prom-client reports it, in MB: V8's heap spaces (committed size), external memory, RSS. */
async function memoryOf(base: string): Promise<Record<string, number>> {
  const response = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  if (response.status !== 200) throw new Error(`metrics: ${response.status} ${await response.text()}`);
  const figures: Record<string, number> = {};
  for (const line of (await response.text()).split("\n")) {
    const space = /^nodejs_heap_space_size_total_bytes\{space="(\w+)"\} (\S+)/.exec(line);
    if (space) figures[space[1]!] = mb(Number(space[2]));
    const other = /^(nodejs_external_memory_bytes|nodejs_heap_size_used_bytes|process_resident_memory_bytes) (\S+)/.exec(line);
    if (other) figures[other[1]!.replace(/^(nodejs|process)_|_bytes$/g, "")] = mb(Number(other[2]));
  }
  return figures;
}

/** What grew between two memoryOf readings (by 1 MB or more), as "old +120, external_memory +30". */
function growth(before: Record<string, number>, after: Record<string, number>): string {
  return Object.keys(after)
    .map((key) => [key, after[key]! - (before[key] ?? 0)] as const)
    .filter(([, grown]) => Math.abs(grown) >= 1)
    .map(([key, grown]) => `${key} ${grown >= 0 ? "+" : ""}${grown.toFixed(0)}`)
    .join(", ");
}

interface Run {
  format: string;
  rows: number;
  bytes: number;
  seconds: number;
  baselineMb: number;
  growthMb: number;
}

/** Reads one export to the end (or `maxRows`) while sampling the server's RSS. */
async function measure(base: string, token: string, server: Child, query: string, options: { maxRows?: number; pause?: boolean } = {}): Promise<Run> {
  const baseline = residentMiB(server.process);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, residentMiB(server.process))), 20);
  const started = performance.now();
  let rows = 0;
  let bytes = 0;
  let chunks = 0;
  try {
    const response = await fetch(`${base}/v1/tickets/export?${query}`, { headers: { authorization: `Bearer ${token}` } });
    if (response.status !== 200) throw new Error(`export: ${response.status} ${await response.text()}`);
    for await (const chunk of response.body!) {
      const data = chunk as Uint8Array;
      bytes += data.length;
      for (let i = 0; i < data.length; i++) if (data[i] === 10) rows++;
      if (options.pause && ++chunks % 20 === 0) await sleep(5);
      if (options.maxRows !== undefined && rows >= options.maxRows) break; // cancels the body: the server sees the client go
    }
  } finally {
    clearInterval(sampler);
  }
  const format = new URLSearchParams(query).get("format") ?? "csv";
  if (format === "csv" && options.maxRows === undefined) rows -= 1; // the header row
  return { format, rows, bytes, seconds: (performance.now() - started) / 1000, baselineMb: baseline, growthMb: peak - baseline };
}

async function main() {
  const database = await startBenchDatabase("export", 56800);
  let server: ApiServer | undefined;
  try {
    server = await startApiServer({
      databaseUrl: database.url,
      dataDir: path.join(database.workDir, "data"),
      nodeEnv: "production",
      fromPort: 56900,
      // Node flags for the server instead of npm start's, to compare: --server-flags="--heap-growing-percent=30 --max-semi-space-size=4".
      ...(options["server-flags"] === undefined ? {} : { nodeOptions: options["server-flags"].split(/\s+/).filter(Boolean) }),
      env: { ACCESS_TOKEN_TTL_SECONDS: "86400", WORKERS: "false", METRICS_TOKEN },
    });
    const base = server.base;
    const { accessToken, tenant, user } = await signUpBench(base);

    progress(`seeding ${TICKETS.toLocaleString("en")} tickets`);
    const seeder = new pg.Client({ connectionString: database.url });
    await seeder.connect();
    const seeded = await seedTickets(seeder, { tenantId: tenant.id, requesterId: user.id, count: TICKETS, onProgress: (done) => progress(`  ${done.toLocaleString("en")}`) });
    await seeder.end();
    progress(`seeded in ${(seeded.insertMs / 1000).toFixed(0)} s (+ ${(seeded.vacuumMs / 1000).toFixed(0)} s vacuum); table ${seeded.tableSize}, indexes ${seeded.indexesSize}`);

    progress("warm-up");
    await measure(base, accessToken, server.child, "format=csv&sort=number", { maxRows: 10_000 });
    await measure(base, accessToken, server.child, "format=jsonl&sort=number", { maxRows: 10_000 });
    // Each format twice: the first full export also grows the garbage collector's heap to its
    // working size (RSS does not shrink back), so the second run shows the steady state.
    const before = residentMiB(server.child.process);
    const runs: Run[] = [];
    const memory: string[] = [];
    let lastMemory = await memoryOf(base);
    for (const query of ["format=csv", "format=jsonl", "format=csv", "format=jsonl"]) {
      progress(`export ${query}`);
      runs.push(await measure(base, accessToken, server.child, query));
      const now = await memoryOf(base);
      memory.push(`- after ${query}: ${growth(lastMemory, now) || "no change of 1 MB or more"}`);
      progress(memory.at(-1)!);
      lastMemory = now;
    }
    const after = residentMiB(server.child.process);
    progress("slow reader");
    const slow = await measure(base, accessToken, server.child, "format=jsonl", { maxRows: 200_000, pause: true });

    // The dashboard's reports over the same tenant: each read 5 times, median and max.
    progress("reports");
    const reportTimes: string[] = [];
    const lastMonth = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
    const today = new Date().toISOString().slice(0, 10);
    for (const report of [`tickets-per-day?from=${lastMonth}&to=${today}&timeZone=Europe/Paris`, `response-times?from=${lastMonth}&to=${today}`, "backlog"]) {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        const response = await fetch(`${base}/v1/reports/${report}`, { headers: { authorization: `Bearer ${accessToken}` } });
        if (response.status !== 200) throw new Error(`${report}: ${response.status} ${await response.text()}`);
        await response.arrayBuffer();
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      reportTimes.push(`| GET /v1/reports/${report.split("?")[0]} (last 30 days) | ${times[2]!.toFixed(0)} | ${times[4]!.toFixed(0)} |`);
    }

    const lines = [
      `Streaming export of ${TICKETS.toLocaleString("en")} tickets (one tenant; GET /v1/tickets/export, default order -createdAt), ${os.cpus().length} cores, ${os.loadavg()[0]!.toFixed(1)} load:`,
      "",
      "| format | rows | MB | seconds | rows/s | MB/s | server RSS before (MB) | peak RSS growth (MB) | target |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
      ...runs.map(
        (run) =>
          `| ${run.format} | ${run.rows.toLocaleString("en")} | ${mb(run.bytes).toFixed(0)} | ${run.seconds.toFixed(1)} | ${Math.round(run.rows / run.seconds).toLocaleString("en")} | ${(mb(run.bytes) / run.seconds).toFixed(1)} | ${run.baselineMb.toFixed(0)} | ${run.growthMb.toFixed(1)} | ${run.growthMb <= TARGET_RSS_GROWTH_MB ? "met" : "MISSED"} (≤ ${TARGET_RSS_GROWTH_MB}) |`,
      ),
      `| jsonl, slow reader | ${slow.rows.toLocaleString("en")} | ${mb(slow.bytes).toFixed(0)} | ${slow.seconds.toFixed(1)} | ${Math.round(slow.rows / slow.seconds).toLocaleString("en")} | ${(mb(slow.bytes) / slow.seconds).toFixed(1)} | ${slow.baselineMb.toFixed(0)} | ${slow.growthMb.toFixed(1)} | ${slow.growthMb <= TARGET_RSS_GROWTH_MB ? "met" : "MISSED"} |`,
    ];
    lines.push("", `Server RSS before the four full exports: ${before.toFixed(0)} MB; after them: ${after.toFixed(0)} MB.`);
    lines.push("", "Where the server's memory went, export by export (MB; V8's heap spaces as committed, used heap, external memory, RSS):", ...memory);
    lines.push("", "| report | median ms | max ms |", "| --- | ---: | ---: |", ...reportTimes);
    console.log(lines.join("\n"));
    if (runs.some((run) => run.rows !== runs[0]!.rows)) throw new Error(`the exports disagree: ${runs.map((run) => run.rows).join(" vs ")} rows`);
  } finally {
    await server?.child.stop();
    await database.stop();
  }
}

await main();
