// npm run bench:ab -- --base <dir> : the cost of a change, measured as an A/B on one machine.
//
// <dir> is another checkout of Docket (say `git worktree add /tmp/before <commit>`, then a
// node_modules beside its src/, a symlink is enough). One embedded PostgreSQL holds two databases,
// each migrated by its own checkout and seeded alike; two API servers run, the base and this one.
// Each operation is then measured on A and B in turn, round after round, so that whatever else
// the machine does (on a shared 2-core box, a lot) weighs on both alike; the medians are compared.
// Throughput on a shared machine swings by tens of percent from one window to the next; the CPU
// time the API server and PostgreSQL spend per request (from /proc) is the steadier figure. With
// the workers in-process, pass --drain when a change touches what a write sets off: the CPU is
// then counted until everything is quiet again, so work a worker put off past the window counts.
// Written to measure row-level security (issue 11: ≤ 5 % on reads and writes). With
// --without-rls there is no other checkout: A is this one too, its database with every table's
// row-level security disabled after migrating, so the two differ only in the policies' cost (both
// still carry the tenant setting to each connection, which is the same code on both sides).
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { startEmbeddedPostgres } from "../src/db/embedded.ts";
import { migrate } from "../src/db/migrate.ts";
import { measure, type LoadResult, type LoadSettings, type LoadTarget } from "./load.ts";
import { waitForQuiet, watchCpu, type CpuUse } from "./machine.ts";
import { freePort, residentMiB, startChild, startScriptFlags, waitUntilReady, type Child } from "./processes.ts";
import { table } from "./report.ts";
import { seedTickets } from "./seed.ts";
import { FEATURES, randomTicketBody } from "./words.ts";

// Ports below Linux's ephemeral range (32768+), which outgoing connections may take meanwhile.
const { values } = parseArgs({
  options: {
    base: { type: "string" },
    "without-rls": { type: "boolean", default: false },
    // Both servers without the in-process workers (WORKERS=false): what a request costs, without
    // the background work earlier rounds set off (triage of every created ticket, routing,
    // webhooks fan-out), which otherwise spills into later rounds and swamps small differences.
    "no-workers": { type: "boolean", default: false },
    tickets: { type: "string", default: "100000" },
    rounds: { type: "string", default: "5" },
    duration: { type: "string", default: "5" },
    // Requests spread over this many tenants (one token each), so a pool's connections keep
    // changing tenant, as on a shared deployment.
    tenants: { type: "string", default: "1" },
    // Only the operations whose label contains this (e.g. "GET").
    only: { type: "string", default: "" },
    // CPU per request counted until the servers and PostgreSQL are quiet again, so the work each
    // request set off in the in-process workers counts wherever it ran; without it, a worker that
    // falls behind during the 5 s looks cheaper than one that keeps up.
    drain: { type: "boolean", default: false },
  },
});
const ROOT = path.resolve(import.meta.dirname, "..");
const WITHOUT_RLS = values["without-rls"]!;
if (!values.base && !WITHOUT_RLS) throw new Error("Usage: npm run bench:ab -- (--base <checkout to compare with> | --without-rls) [--no-workers] [--tickets N] [--tenants N] [--rounds N] [--duration S] [--only GET] [--drain]");
const BASE = WITHOUT_RLS ? ROOT : path.resolve(values.base!);
const TICKETS = Number(values.tickets);
const ROUNDS = Number(values.rounds);
const TENANTS = Number(values.tenants);
const load: LoadSettings = { connections: 10, warmupSeconds: 1, durationSeconds: Number(values.duration) };

const progress = (message: string) => process.stderr.write(`[ab ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const stops: Array<() => Promise<unknown>> = [];
const stopAll = async () => {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
};
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void stopAll().finally(() => process.exit(130)));

interface Tenant {
  token: string;
  ids: string[];
  /** Tickets that still take comments (not closed). */
  openIds: string[];
}

interface Side {
  name: string;
  base: string;
  tenants: Tenant[];
  /** The API server, for its memory at the end. */
  api: Child;
}

async function call<T>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** Turns row-level security off on every table that has it (as the tables' owner): what A runs without. */
async function disableRowLevelSecurity(databaseUrl: string): Promise<void> {
  const owner = new pg.Client({ connectionString: databaseUrl });
  await owner.connect();
  const { rows } = await owner.query<{ name: string }>(`SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE rowsecurity`);
  for (const { name } of rows) await owner.query(`ALTER TABLE ${name} NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY`);
  await owner.end();
  progress(`base: row-level security disabled on ${rows.length} tables`);
}

async function side(name: string, root: string, adminUrl: string, port: number): Promise<Side> {
  const url = new URL(adminUrl);
  url.pathname = `/ab_${name}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "ab_${name}"`);
  await admin.end();
  await migrate(url.toString(), undefined, path.join(root, "prisma/migrations"));
  if (name === "base" && WITHOUT_RLS) await disableRowLevelSecurity(url.toString());
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `docket-ab-${name}-`));
  stops.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
  const api: Child = startChild(`API ${name}`, "src/server.ts", {
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATABASE_URL: url.toString(),
    DATA_DIR: dataDir,
    JWT_SECRET: crypto.randomBytes(48).toString("base64url"),
    WEBHOOK_SECRET_KEY: crypto.randomBytes(48).toString("base64url"),
    ACCESS_TOKEN_TTL_SECONDS: "86400",
    RATE_LIMIT_PER_MINUTE: "1000000",
    RATE_LIMIT_TENANT_PER_MINUTE: "100000000", // quotas count but never refuse
    AUTH_RATE_LIMIT_PER_MINUTE: "1000000", // --tenants signs up many
    LOG_LEVEL: "warn",
    ...(values["no-workers"] ? { WORKERS: "false" } : {}),
  }, root, startScriptFlags(root));
  stops.push(() => api.stop());
  const base = `http://127.0.0.1:${port}`;
  await waitUntilReady(api, `${base}/readyz`);
  const tenants: Tenant[] = [];
  for (let n = 0; n < TENANTS; n++) {
    const auth = await call<{ accessToken: string; tenant: { id: string }; user: { id: string } }>(`${base}/v1/auth/signup`, {
      tenantName: `AB ${n}`,
      tenantSlug: `ab-${name}-${n}`,
      name: "AB Admin",
      email: "ab@example.test",
      password: "bench-password-0123",
    });
    const count = Math.ceil(TICKETS / TENANTS);
    progress(`${name}: seeding ${count} tickets in tenant ${n + 1} of ${TENANTS}`);
    // A client per tenant: the seeding defines its helper functions once per session.
    const sql = new pg.Client({ connectionString: url.toString() });
    await sql.connect();
    await seedTickets(sql, { tenantId: auth.tenant.id, requesterId: auth.user.id, count });
    const { rows } = await sql.query<{ id: string; closed: boolean }>(
      `SELECT id, status = 'closed' AS closed FROM "Ticket" WHERE "tenantId" = $1 AND "deletedAt" IS NULL ORDER BY random() LIMIT 10000`,
      [auth.tenant.id],
    );
    await sql.end();
    tenants.push({ token: auth.accessToken, ids: rows.map((row) => row.id), openIds: rows.filter((row) => !row.closed).map((row) => row.id) });
  }
  return { name, base, tenants, api };
}

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
const bodies = Array.from({ length: 2000 }, () => JSON.stringify(randomTicketBody()));
const patches = ["low", "normal", "high", "urgent"].map((priority) => JSON.stringify({ priority }));
const comment = JSON.stringify({ body: "Thanks, we are looking into it and will get back to you shortly." });
const json = { "content-type": "application/json" };
/** Each request as one of the side's tenants, chosen at random. */
const as = (s: Side, request: (tenant: Tenant) => { path: string; body?: string }) => () => {
  const tenant = pick(s.tenants);
  return { ...request(tenant), headers: { authorization: `Bearer ${tenant.token}` } };
};
const allOperations: Array<{ label: string; target: (side: Side) => LoadTarget }> = [
  { label: "GET /v1/tickets/{id}", target: (s) => ({ url: s.base, next: as(s, (t) => ({ path: `/v1/tickets/${pick(t.ids)}` })) }) },
  { label: "GET /v1/tickets (first page)", target: (s) => ({ url: s.base, next: as(s, () => ({ path: "/v1/tickets?limit=25" })) }) },
  // Relevance search for a word in about 1 % of the tickets (the seed names each feature in 1 %),
  // a different one each request (its cost depends on the tenant's size: mind --tenants).
  { label: "GET /v1/tickets?q= (a ~1 % word)", target: (s) => ({ url: s.base, next: as(s, () => ({ path: `/v1/tickets?q=${pick(FEATURES)}` })) }) },
  { label: "POST /v1/tickets", target: (s) => ({ url: s.base, method: "POST", headers: json, next: as(s, () => ({ path: "/v1/tickets", body: pick(bodies) })) }) },
  { label: "PATCH /v1/tickets/{id}", target: (s) => ({ url: s.base, method: "PATCH", headers: json, next: as(s, (t) => ({ path: `/v1/tickets/${pick(t.openIds)}`, body: pick(patches) })) }) },
  { label: "POST /v1/tickets/{id}/comments", target: (s) => ({ url: s.base, method: "POST", headers: json, next: as(s, (t) => ({ path: `/v1/tickets/${pick(t.openIds)}/comments`, body: comment })) }) },
];

const operations = allOperations.filter((op) => op.label.includes(values.only!));

const median = (numbers: number[]) => numbers.toSorted((x, y) => x - y)[Math.floor(numbers.length / 2)]!;

try {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "docket-ab-"));
  stops.push(async () => fs.rmSync(work, { recursive: true, force: true }));
  const database = await startEmbeddedPostgres({ dataDir: work, port: await freePort(31300), database: "postgres" });
  stops.push(() => database.stop());
  const a = await side("base", BASE, database.url, await freePort(31400));
  const b = await side("this", ROOT, database.url, await freePort(31450));
  type Measured = LoadResult & { cpuMsPerRequest: number; postgresMsPerRequest: number };
  const results = new Map<string, { a: Measured[]; b: Measured[] }>(operations.map((op) => [op.label, { a: [], b: [] }]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const op of operations) {
      // Alternate which goes first, so neither always follows the other's writes.
      const order = round % 2 === 0 ? [b, a] : [a, b];
      for (const s of order) {
        // What the previous round's writes left PostgreSQL to do (autovacuum, analyze) would
        // otherwise be charged to whichever side is measured next.
        await waitForQuiet(0.1, 30_000, (busy) => progress(`  waiting for PostgreSQL and the servers to settle (${busy.toFixed(2)} CPUs)`), ["server", "postgres", "others"]);
        let watch: { stop(): CpuUse | undefined } | undefined;
        let cpu: CpuUse | undefined;
        let watchedFrom = 0;
        let seconds = load.durationSeconds;
        const loadResult = await measure(op.label, op.target(s), load, {
          start: () => {
            watch = watchCpu();
            watchedFrom = performance.now();
          },
          end: () => {
            if (!values.drain) cpu = watch?.stop();
          },
        });
        if (values.drain) {
          await waitForQuiet(0.1, 120_000, undefined, ["server", "postgres"]);
          cpu = watch?.stop();
          seconds = (performance.now() - watchedFrom) / 1000;
        }
        // CPUs (cores busy on average) × seconds watched / requests = CPU time per request.
        const perRequest = (cpus: number) => (cpu ? (cpus * seconds * 1000) / loadResult.requests : Number.NaN);
        const result = { ...loadResult, cpuMsPerRequest: perRequest((cpu?.server ?? 0) + (cpu?.postgres ?? 0)), postgresMsPerRequest: perRequest(cpu?.postgres ?? 0) };
        results.get(op.label)![s === a ? "a" : "b"].push(result);
        progress(
          `round ${round} ${s.name} ${op.label}: ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.p50.toFixed(2)} ms, ` +
            `${result.cpuMsPerRequest.toFixed(3)} CPU ms/request (server ${perRequest(cpu?.server ?? 0).toFixed(3)}, PostgreSQL ${perRequest(cpu?.postgres ?? 0).toFixed(3)}; others used ${cpu?.others.toFixed(2) ?? "?"} CPUs)${values.drain ? `, watched ${seconds.toFixed(1)} s` : ""}${result.failures ? `, FAILURES ${result.failures}` : ""}`,
        );
      }
    }
  }
  const rows = operations.map((op) => {
    const { a: ra, b: rb } = results.get(op.label)!;
    const rpsA = median(ra.map((r) => r.requestsPerSecond));
    const rpsB = median(rb.map((r) => r.requestsPerSecond));
    const perRound = ra.map((r, i) => (100 * (r.requestsPerSecond - rb[i]!.requestsPerSecond)) / r.requestsPerSecond);
    const cpuA = median(ra.map((r) => r.cpuMsPerRequest));
    const cpuB = median(rb.map((r) => r.cpuMsPerRequest));
    return [
      op.label,
      Math.round(rpsA),
      Math.round(rpsB),
      `${((100 * (rpsA - rpsB)) / rpsA).toFixed(1)} %`,
      `${median(perRound).toFixed(1)} % (${Math.min(...perRound).toFixed(1)} … ${Math.max(...perRound).toFixed(1)})`,
      `${median(ra.map((r) => r.p50)).toFixed(2)} / ${median(rb.map((r) => r.p50)).toFixed(2)}`,
      `${cpuA.toFixed(3)} / ${cpuB.toFixed(3)} (${cpuB >= cpuA ? "+" : ""}${((100 * (cpuB - cpuA)) / cpuA).toFixed(1)} %)`,
      `${median(ra.map((r) => r.postgresMsPerRequest)).toFixed(3)} / ${median(rb.map((r) => r.postgresMsPerRequest)).toFixed(3)}`,
    ];
  });
  process.stdout.write(`\nA = ${WITHOUT_RLS ? "this checkout without row-level security" : BASE}, B = ${ROOT}; ${TICKETS} tickets in ${TENANTS} tenant(s); ${ROUNDS} rounds of ${load.durationSeconds} s, ${load.connections} connections${values["no-workers"] ? ", no in-process workers" : ""}\n`);
  process.stdout.write(
    table(["operation", "A req/s (median)", "B req/s (median)", "B slower by (medians)", "per round: median (range)", "p50 ms A / B", "CPU ms/request A / B (B costs)", "of which PostgreSQL A / B"], rows) + "\n",
  );
  process.stdout.write(`API resident memory after the rounds (VmRSS): A ${residentMiB(a.api.process).toFixed(0)} MiB, B ${residentMiB(b.api.process).toFixed(0)} MiB\n`);
} finally {
  await stopAll();
}
