// Child processes of the benchmark (the API server, the ceiling server): started on loopback,
// awaited until they answer, and always stopped: on normal completion, on failure, on Ctrl-C and
// even on a crash (the exit hook kills what is still running).
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

const running = new Set<ChildProcess>();

process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** A TCP port nothing listens on at 127.0.0.1, from `from` upwards. */
export async function freePort(from: number): Promise<number> {
  for (let port = from; port < from + 1000; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(false));
      server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port in ${from}..${from + 999}`);
}

/** The Node flags of `npm start` (or `npm run worker`) in package.json, so a benchmarked process runs as users run it. */
export function startScriptFlags(root: string, script: "start" | "worker" = "start"): string[] {
  const command = (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts[script]!;
  return command.split(/\s+/).filter((word) => word.startsWith("--"));
}

/** A child's resident memory (VmRSS) in MiB, NaN where /proc cannot tell (not Linux, exited). */
export function residentMiB(child: ChildProcess): number {
  try {
    const status = fs.readFileSync(`/proc/${child.pid}/status`, "utf8");
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN) / 1024;
  } catch {
    return Number.NaN;
  }
}

export interface Child {
  name: string;
  process: ChildProcess;
  /** The last lines it wrote, for the error message when it fails. */
  output(): string;
  stop(): Promise<void>;
}

export function startChild(name: string, script: string, env: Record<string, string>, cwd: string, nodeOptions: string[] = []): Child {
  const child = spawn(process.execPath, [...nodeOptions, script], { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("exit", () => running.delete(child));
  return {
    name,
    process: child,
    output: () => lines.join("\n"),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 12_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `url` until it answers 200, the child dies, or `timeoutMs` passes. */
export async function waitUntilReady(child: Child, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new Error(`${child.name} exited (${child.process.exitCode ?? child.process.signalCode}) before it was ready:\n${child.output()}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs / 1000} s:\n${child.output()}`);
}
