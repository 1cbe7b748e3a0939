// `node src/server.ts` as a child process, for what only a process of its own shows (several
// instances on one database, a server's memory). The benchmarks' child handling (bench/processes.ts)
// keeps its last output lines for the error message and kills it if the test run exits first.
import type { ChildProcess } from "node:child_process";
import path from "node:path";
import { startChild, waitUntilReady } from "../../bench/processes.ts";
import { freePort } from "./ports.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** SIGTERM, and waits until it has exited. */
  stop(): Promise<void>;
}

/** Starts the server on a free loopback port with `env` (over this process's own) and resolves once GET /readyz answers. */
export async function startServerProcess(env: Record<string, string>, nodeOptions: string[] = []): Promise<ServerProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = startChild("node src/server.ts", "src/server.ts", { NODE_ENV: "test", LOG_LEVEL: "warn", ...env, HOST: "127.0.0.1", PORT: String(port) }, ROOT, nodeOptions);
  try {
    await waitUntilReady(server, `${url}/readyz`);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { child: server.process, url, output: server.output, stop: server.stop };
}
