// Live stream speed: `node bench/stream.ts` (also `npm run bench:stream`, and the last part of
// `npm run bench`). Starts an embedded PostgreSQL and the API (`node src/server.ts`, its own
// process, so its memory is its own), and client processes (bench/stream-clients.ts) that hold
// the sockets, each subscribed to the tenant's feed with the bearer subprotocol. Then:
//  1. memory: the server's RSS before and after opening 1,000 and then 10,000 idle sockets,
//     per socket. Target ≤ 16 KB per idle socket.
//  2. fan-out: with 1,000 and with 10,000 sockets open, comments posted through the API one at a
//     time; for each, the time from sending the POST to its event reaching each socket: p50/p95
//     over all deliveries. Target at 10,000: p95 ≤ 200 ms (stretch 100 ms).
//  3. reconnect storm: 5,000 sockets drop, 3 comments are posted, and all 5,000 reconnect at once
//     resuming after the last event each saw (a failed attempt is retried with the SDK's jittered
//     backoff): the time until every one is live again with exactly the 3 missed events, once each.
//     Target ≤ 10 s.
// Options: --sockets 1000,10000  --storm 5000  --events 20  --processes 2
// BENCH_PROFILE=DIR runs the API under --cpu-prof, writing its CPU profile into DIR;
// BENCH_HEAP_SNAPSHOT=DIR writes a heap snapshot of the API there with the most sockets idle.
import { fork, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startEmbeddedPostgres } from "../src/db/embedded.ts";
import { migrate } from "../src/db/migrate.ts";
import { watchCpu, type CpuUse } from "./machine.ts";
import { freePort, startChild, waitUntilReady, type Child } from "./processes.ts";
import type { ArrivalReport, ClientCommand, OpenReport, ResumeReport } from "./stream-clients.ts";

const root = path.resolve(import.meta.dirname, "..");
const progress = (message: string) => process.stderr.write(`[stream ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

function options() {
  const { values } = parseArgs({
    options: {
      sockets: { type: "string", default: "1000,10000" },
      storm: { type: "string", default: "5000" },
      events: { type: "string", default: "20" },
      processes: { type: "string", default: "2" },
    },
    strict: true,
  });
  const steps = values.sockets.split(",").map(Number).sort((a, b) => a - b);
  return { steps, storm: Number(values.storm), events: Number(values.events), processes: Number(values.processes) };
}

/** The server's resident set size, from /proc (Linux). */
function rss(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** RSS once it has stopped moving (GC settles after a burst of connections). */
async function settledRss(pid: number): Promise<number> {
  let previous = rss(pid);
  for (let i = 0; i < 10; i++) {
    await sleep(1000);
    const current = rss(pid);
    if (Math.abs(current - previous) < 256 * 1024) return current;
    previous = current;
  }
  return previous;
}

/** CPU seconds a process has used so far (utime + stime), from /proc. */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPUs busy on average (1 = one core), and the server's CPU seconds in all. */
interface Cpu { server: number; clients: number; postgres: number; others: number; serverSeconds: number }
const cpuText = (cpu: Cpu) => `server ${cpu.server.toFixed(2)}, clients ${cpu.clients.toFixed(2)}, PostgreSQL ${cpu.postgres.toFixed(2)}, others ${cpu.others.toFixed(2)}`;

interface ClientProcess {
  child: ChildProcess;
  call<T>(command: ClientCommand): Promise<T>;
}

function startClients(): ClientProcess {
  const child = fork(path.join(import.meta.dirname, "stream-clients.ts"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let seq = 0;
  child.on("message", (message: { seq: number; result?: unknown; error?: string }) => {
    const pending = waiting.get(message.seq);
    waiting.delete(message.seq);
    if (message.error) pending?.reject(new Error(message.error));
    else pending?.resolve(message.result);
  });
  child.once("exit", (code) => {
    for (const pending of waiting.values()) pending.reject(new Error(`a client process exited (${code})`));
  });
  return {
    child,
    call: <T>(command: ClientCommand) =>
      new Promise<T>((resolve, reject) => {
        seq += 1;
        waiting.set(seq, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ ...command, seq });
      }),
  };
}

async function json<T>(response: Response, expected: number): Promise<T> {
  if (response.status !== expected) throw new Error(`${response.url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface FanOut { sockets: number; deliveries: number; expected: number; p50: number; p95: number; p99: number; max: number; cpu: Cpu }

async function main() {
  const { steps, storm, events, processes } = options();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "docket-bench-stream-"));
  const database = await startEmbeddedPostgres({ dataDir: path.join(workDir, "pg"), port: await freePort(56400) });
  const clients = Array.from({ length: processes }, startClients);
  let server: Child | undefined;
  try {
    await migrate(database.url);
    const port = await freePort(56500);
    const base = `http://127.0.0.1:${port}`;
    const profile = process.env.BENCH_PROFILE;
    const snapshotDir = process.env.BENCH_HEAP_SNAPSHOT;
    server = startChild(
      "API server",
      "src/server.ts",
      {
        NODE_ENV: "production",
        DATABASE_URL: database.url,
        HOST: "127.0.0.1",
        PORT: String(port),
        PUBLIC_URL: base,
        DATA_DIR: path.join(workDir, "data"),
        JWT_SECRET: crypto.randomBytes(48).toString("base64url"),
        WEBHOOK_SECRET_KEY: crypto.randomBytes(48).toString("base64url"),
        ACCESS_TOKEN_TTL_SECONDS: "86400",
        RATE_LIMIT_PER_MINUTE: "1000000",
        AUTH_RATE_LIMIT_PER_MINUTE: "1000000",
        // The tenant's quota counts every upgrade and comment: the bench opens 10,000 sockets in seconds.
        RATE_LIMIT_TENANT_PER_MINUTE: "100000000",
        LOG_LEVEL: "warn",
      },
      root,
      [
        ...(profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : []),
        ...(snapshotDir ? ["--heapsnapshot-signal=SIGWINCH", `--diagnostic-dir=${snapshotDir}`] : []),
      ],
    );
    await waitUntilReady(server, `${base}/readyz`);
    const pid = server.process.pid!;
    // CPUs busy meanwhile: the server, the client processes, PostgreSQL, and processes this bench
    // did not start (others: the machine is shared; a busy one slows every figure down).
    const watch = () => {
      const startedAt = performance.now();
      const pids = [pid, ...clients.map((client) => client.child.pid!)];
      const before = pids.map(cpuSeconds);
      const machine = watchCpu();
      return {
        stop(): Cpu {
          const seconds = (performance.now() - startedAt) / 1000;
          const used = pids.map((p, i) => (cpuSeconds(p) - before[i]!) / seconds);
          const groups: CpuUse | undefined = machine.stop();
          return { serverSeconds: cpuSeconds(pid) - before[0]!, server: used[0]!, clients: used.slice(1).reduce((a, b) => a + b, 0), postgres: groups?.postgres ?? Number.NaN, others: groups?.others ?? Number.NaN };
        },
      };
    };
    const signup = await json<{ accessToken: string; tenant: { id: string } }>(
      await fetch(`${base}/v1/auth/signup`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ tenantName: "Bench", tenantSlug: "bench", name: "Bench Admin", email: "bench@bench.test", password: "correct horse battery staple" }),
      }),
      201,
    );
    const headers = { authorization: `Bearer ${signup.accessToken}`, "content-type": "application/json" };
    const ticket = await json<{ id: string }>(await fetch(`${base}/v1/tickets`, { method: "POST", headers, body: JSON.stringify({ title: "Fan-out" }) }), 201);
    const wsUrl = `ws://127.0.0.1:${port}/v1/stream`;
    const post = async (body: string) =>
      json<{ id: string }>(await fetch(`${base}/v1/tickets/${ticket.id}/comments`, { method: "POST", headers, body: JSON.stringify({ body }) }), 201);

    let open = 0;
    const openUpTo = async (total: number) => {
      const perProcess = Math.ceil((total - open) / processes);
      const startedAt = performance.now();
      const reports = await Promise.all(
        clients.map((client, index) => {
          const count = Math.max(0, Math.min(perProcess, total - open - perProcess * index));
          return client.call<OpenReport>({ command: "open", url: wsUrl, token: signup.accessToken, count, concurrency: 64 });
        }),
      );
      const failed = reports.reduce((sum, report) => sum + report.failed, 0);
      open = total - failed;
      progress(`  ${open.toLocaleString("en-US")} sockets open and subscribed (${((performance.now() - startedAt) / 1000).toFixed(1)} s)${failed ? `; ${failed} FAILED: ${reports.flatMap((r) => r.errors).join("; ")}` : ""}`);
    };

    /** One comment at a time; every delivery's latency from sending the POST. */
    const fanOut = async (count: number): Promise<FanOut> => {
      const cpuWatch = watch();
      const latencies: number[] = [];
      let deliveries = 0;
      for (let i = 0; i < count; i++) {
        const sentAt = now();
        const comment = await post(`fan-out ${open} #${i}`);
        // Until every socket has it (or 10 s), then the arrival times from each process.
        const deadline = performance.now() + 10_000;
        let arrived: number[] = [];
        while (performance.now() < deadline) {
          await sleep(100);
          const reports = await Promise.all(clients.map((client) => client.call<ArrivalReport>({ command: "arrivals", commentIds: [comment.id] })));
          arrived = reports.flatMap((report) => report.arrivals[comment.id] ?? []);
          if (arrived.length >= open) break;
        }
        deliveries += arrived.length;
        for (const at of arrived) latencies.push(at - sentAt);
        await sleep(200);
      }
      latencies.sort((a, b) => a - b);
      return { sockets: open, deliveries, expected: open * count, p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99), max: latencies.at(-1) ?? Number.NaN, cpu: cpuWatch.stop() };
    };

    // Warm-up: the code paths run once, so the baseline holds the compiled code, not the sockets.
    progress("warm-up: 100 sockets, 3 events");
    await openUpTo(100);
    await fanOut(3);
    for (const client of clients) await client.call({ command: "drop", forget: true });
    open = 0;
    await sleep(2000);
    const baseline = await settledRss(pid);
    progress(`server RSS at rest: ${mb(baseline)}`);

    const results: Array<{ sockets: number; rss: number; perSocket: number; fanOut: FanOut }> = [];
    for (const sockets of steps) {
      progress(`opening sockets up to ${sockets.toLocaleString("en-US")}`);
      await openUpTo(sockets);
      const idle = await settledRss(pid);
      progress(`  server RSS ${mb(idle)}: ${kb((idle - baseline) / open)} per idle socket`);
      if (snapshotDir && sockets === steps.at(-1)) {
        const before = new Set(fs.readdirSync(snapshotDir));
        // Not SIGUSR2: close-with-grace shuts the server down on it.
        server.process.kill("SIGWINCH");
        while (!fs.readdirSync(snapshotDir).some((file) => !before.has(file) && file.endsWith(".heapsnapshot"))) await sleep(500);
        // Writing it stops the server for a while: on when it answers again.
        await sleep(2000);
        await waitUntilReady(server, `${base}/readyz`, 300_000);
        progress(`  heap snapshot written to ${snapshotDir}`);
      }
      progress(`  fan-out: ${events} comments, one at a time`);
      const result = await fanOut(events);
      progress(`  ${result.deliveries}/${result.expected} delivered, p50 ${result.p50.toFixed(1)} ms, p95 ${result.p95.toFixed(1)} ms, max ${result.max.toFixed(1)} ms; CPUs ${cpuText(result.cpu)}`);
      results.push({ sockets, rss: idle, perSocket: (idle - baseline) / open, fanOut: result });
    }

    progress(`reconnect storm: ${storm.toLocaleString("en-US")} clients drop, 3 comments are posted, all resume at once`);
    for (const client of clients) await client.call({ command: "drop" });
    const missed = [await post("storm 1"), await post("storm 2"), await post("storm 3")].map((comment) => comment.id);
    const stormWatch = watch();
    const stormReports = await Promise.all(
      clients.map((client) => client.call<ResumeReport>({ command: "resume", count: Math.ceil(storm / processes), concurrency: 5_000 })),
    );
    const stormMs = Math.max(...stormReports.map((r) => r.doneAt)) - Math.min(...stormReports.map((r) => r.startedAt));
    const stormCpu = stormWatch.stop();
    const resumed = stormReports.reduce((sum, r) => sum + r.resumed, 0);
    const repeats = stormReports.reduce((sum, r) => sum + r.repeats, 0);
    const received = stormReports.flatMap((r) => r.received);
    // Each must have received the 3 missed comments, last, in order, exactly once.
    const gaps = received.filter((entities) => entities.slice(-3).join() !== missed.join()).length;
    const stormErrors = [...new Set(stormReports.flatMap((r) => r.errors))];
    const stormTotal = stormReports.reduce((sum, r) => sum + r.resumed + r.failed, 0);
    const retries = stormReports.reduce((sum, r) => sum + r.retries, 0);
    progress(`  ${resumed}/${stormTotal} resumed in ${(stormMs / 1000).toFixed(2)} s (${retries} retried attempts); ${gaps} with a gap, ${repeats} repeated events${stormErrors.length ? `; failed attempts: ${stormErrors.join("; ")}` : ""}`);
    if (stormErrors.length > 0) progress(`  the server's last log lines:\n${server.output()}`);

    const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");
    const top = results.at(-1)!;
    const lines = [
      "",
      `Docket live stream benchmark: ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? "?"}), Node ${process.version}`,
      `  API: node src/server.ts (NODE_ENV=production); ${processes} client processes (WebSocket global), sockets subscribed to the tenant feed`,
      `  server RSS at rest ${mb(baseline)}`,
      "",
      "  sockets   server RSS   per idle socket   deliveries        p50 ms   p95 ms   p99 ms   max ms",
      ...results.map(
        (r) =>
          `  ${String(r.sockets).padStart(7)}   ${mb(r.rss).padStart(10)}   ${kb(r.perSocket).padStart(15)}   ${`${r.fanOut.deliveries}/${r.fanOut.expected}`.padEnd(15)}` +
          `   ${r.fanOut.p50.toFixed(1).padStart(6)}   ${r.fanOut.p95.toFixed(1).padStart(6)}   ${r.fanOut.p99.toFixed(1).padStart(6)}   ${r.fanOut.max.toFixed(1).padStart(6)}`,
      ),
      ...results.map((r) => `  CPUs during the fan-out to ${r.sockets}: ${cpuText(r.fanOut.cpu)}; server CPU ${((r.fanOut.cpu.serverSeconds * 1e6) / r.fanOut.deliveries).toFixed(1)} µs per delivery (the POSTs included)`),
      "",
      `  reconnect storm: ${resumed.toLocaleString("en-US")} of ${stormTotal.toLocaleString("en-US")} resumed in ${(stormMs / 1000).toFixed(2)} s (${retries} attempts retried with backoff), ${gaps} with a gap, ${repeats} repeated events; CPUs ${cpuText(stormCpu)}`,
      "",
      `  targets: ${top.sockets.toLocaleString("en-US")} sockets p95 ≤ 200 ms: ${verdict(top.fanOut.p95 <= 200 && top.fanOut.deliveries === top.fanOut.expected)} (stretch ≤ 100 ms: ${verdict(top.fanOut.p95 <= 100)}); ` +
        `≤ 16 KB per idle socket: ${verdict(top.perSocket <= 16 * 1024)}; storm ≤ 10 s: ${verdict(stormMs <= 10_000 && gaps === 0 && repeats === 0 && resumed === stormTotal)}`,
      "",
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await Promise.all(clients.map((client) => client.call({ command: "close" }).catch(() => undefined)));
    await server?.stop();
    await database.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (error) {
  process.stderr.write(`\nbench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
}
