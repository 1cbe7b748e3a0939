// Idle memory of the API process: `node bench/idle-rss.ts` (also `npm run bench:idle-rss`).
// Starts an embedded PostgreSQL (migrated) and the API the way `npm start` runs it (its Node flags,
// NODE_ENV=production), once per configuration: WORKERS=false, and workers in-process (the
// default). Each waits until GET /readyz answers, then 10 s more for start-up work to settle
// (the workers warm the local AI provider up), and prints VmRSS and V8's own figures from GET
// /metrics: heap spaces (committed), heap used, external memory. Target (issue 15): ≤ 150 MiB.
// `--settle S` changes the wait; `--only workers|api` runs one configuration; `--server-flags="…"`
// runs Node with these flags instead of npm start's. No request but
// /readyz and /metrics reaches the server. Noisy on a shared machine: run it twice.
import crypto from "node:crypto";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { residentMiB } from "./processes.ts";
import { startApiServer, startBenchDatabase, type ApiServer } from "./api-server.ts";

const { values: options } = parseArgs({
  options: { settle: { type: "string", default: "10" }, only: { type: "string" }, "server-flags": { type: "string" } },
});
const SETTLE_MS = Number(options.settle) * 1000;
const TARGET_MIB = 150;
const METRICS_TOKEN = crypto.randomBytes(32).toString("base64url");
const mib = (bytes: number) => bytes / 1_048_576;
const progress = (message: string) => process.stderr.write(`${message}\n`);

const ALL_CONFIGURATIONS: { name: string; label: string; env: Record<string, string> }[] = [
  { name: "api", label: "WORKERS=false", env: { WORKERS: "false" } },
  { name: "workers", label: "workers in-process", env: {} },
];
const CONFIGURATIONS = ALL_CONFIGURATIONS.filter((configuration) => options.only === undefined || configuration.name === options.only);

/** V8's figures as prom-client reports them, in MiB: each heap space's committed size, heap used, external memory. */
async function heapOf(base: string): Promise<Record<string, number>> {
  const response = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  if (response.status !== 200) throw new Error(`metrics: ${response.status} ${await response.text()}`);
  const figures: Record<string, number> = {};
  for (const line of (await response.text()).split("\n")) {
    const space = /^nodejs_heap_space_size_total_bytes\{space="(\w+)"\} (\S+)/.exec(line);
    if (space) figures[`space:${space[1]!}`] = mib(Number(space[2]));
    const other = /^(nodejs_heap_size_total_bytes|nodejs_heap_size_used_bytes|nodejs_external_memory_bytes) (\S+)/.exec(line);
    if (other) figures[other[1]!.replace(/^nodejs_|_bytes$/g, "")] = mib(Number(other[2]));
  }
  return figures;
}

async function main() {
  const database = await startBenchDatabase("idle-rss", 57100);
  const lines = [`Idle API process (npm start's flags, NODE_ENV=production), ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)} at start; MiB:`];
  try {
    for (const configuration of CONFIGURATIONS) {
      progress(`${configuration.label}: starting`);
      let server: ApiServer | undefined;
      try {
        server = await startApiServer({
          databaseUrl: database.url,
          dataDir: path.join(database.workDir, `data-${configuration.name}`),
          nodeEnv: "production",
          fromPort: 57200,
          ...(options["server-flags"] === undefined ? {} : { nodeOptions: options["server-flags"].split(/\s+/).filter(Boolean) }),
          env: { METRICS_TOKEN, ...configuration.env },
        });
        const ready = residentMiB(server.child.process);
        await sleep(SETTLE_MS);
        const idle = residentMiB(server.child.process); // before /metrics, whose first scrape costs memory of its own
        const heap = await heapOf(server.base);
        const spaces = Object.entries(heap)
          .filter(([key, value]) => key.startsWith("space:") && value >= 0.5)
          .map(([key, value]) => `${key.slice("space:".length)} ${value.toFixed(1)}`)
          .join(", ");
        lines.push(
          `- ${configuration.label}: VmRSS ${idle.toFixed(1)} (${ready.toFixed(1)} at ready) ${idle <= TARGET_MIB ? "PASS" : "FAIL"} ≤ ${TARGET_MIB}`,
          `    V8 heap ${heap.heap_size_total!.toFixed(1)} committed, ${heap.heap_size_used!.toFixed(1)} used; external ${heap.external_memory!.toFixed(1)}`,
          `    spaces (committed): ${spaces}`,
        );
        progress(lines.at(-3)!);
      } finally {
        await server?.child.stop();
      }
    }
  } finally {
    await database.stop();
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

await main();
