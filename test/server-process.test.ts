// `npm start` as a newcomer runs it: the real process (node src/server.ts) in a directory of its
// own, configured by a .env file there, on the embedded PostgreSQL. It must come back after a
// kill -9 (which leaves PostgreSQL running), refuse a second instance on the same data with a
// sentence rather than `undefined`, and name DATABASE_URL when that is what is wrong.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, inject, it } from "vitest";
import { freePort } from "./support/ports.ts";

const SERVER = path.resolve(import.meta.dirname, "../src/server.ts");
const started: ChildProcess[] = [];
const workDirs: string[] = [];

/** The environment of a user's shell: none of the suite's own database settings. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ["DATABASE_URL", "PORT", "HOST", "DATA_DIR", "EMBEDDED_PG_PORT", "LOG_LEVEL", "NODE_ENV", "JWT_SECRET"]) delete env[name];
  return { ...env, ...extra };
}

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function run(cwd: string, env: NodeJS.ProcessEnv): Run {
  const child = spawn(process.execPath, [SERVER], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  started.push(child);
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function listening(server: Run): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const line = server.output().split("\n").find((text) => text.includes('"Docket is listening"'));
    if (line) return JSON.parse(line) as Record<string, unknown>;
    if (server.child.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error(`the server did not start:\n${server.output()}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  await Promise.all(started.map((child) => (child.exitCode === null && child.signalCode === null ? new Promise((resolve) => child.once("exit", resolve)) : undefined)));
  for (const dir of workDirs) {
    // A PostgreSQL a failed test left behind.
    const pidFile = path.join(dir, "data", "postgres", "postmaster.pid");
    const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]) : 0;
    if (pid > 0 && isAlive(pid)) process.kill(pid, "SIGINT");
    for (let tries = 0; pid > 0 && isAlive(pid) && tries < 50; tries++) await sleep(100);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe("the server process on the embedded PostgreSQL", () => {
  it("reads .env (the environment wins), recovers after kill -9 and from a stale postmaster.pid, and refuses a second instance on the same data", { timeout: 180_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "docket-process-"));
    workDirs.push(dir);
    const [httpPort, pgPort] = [await freePort(), await freePort()];
    fs.writeFileSync(path.join(dir, ".env"), [`DATA_DIR=data`, `EMBEDDED_PG_PORT=${pgPort}`, `PORT=${httpPort}`, `HOST=0.0.0.0`, `LOG_LEVEL=info`, ""].join("\n"));
    const env = userEnv({ HOST: "127.0.0.1" });

    const first = run(dir, env);
    const ready = await listening(first);
    expect(ready.url).toBe(`http://127.0.0.1:${httpPort}`); // PORT from .env, HOST from the environment
    expect((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status).toBe(200);
    expect(first.output()).not.toContain("ContentTypeParser");
    const postmaster = Number(fs.readFileSync(path.join(dir, "data", "postgres", "postmaster.pid"), "utf8").split("\n")[0]);

    const second = run(dir, userEnv({ HOST: "127.0.0.1", PORT: String(await freePort()) }));
    expect(await second.exited).toBe(1);
    expect(second.output().trim()).toMatch(/^The embedded PostgreSQL in .*data\/postgres is in use by another running Docket .*DATA_DIR and EMBEDDED_PG_PORT/);

    first.child.kill("SIGKILL");
    await first.exited;
    expect(isAlive(postmaster)).toBe(true); // PostgreSQL outlives a killed Docket

    const again = run(dir, env);
    await listening(again);
    expect((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status).toBe(200);
    expect(again.output()).toContain("stopping the embedded PostgreSQL left running by a previous Docket");
    expect(isAlive(postmaster)).toBe(false);

    again.child.kill("SIGTERM");
    expect(await again.exited).toBe(0);
    const pidFile = path.join(dir, "data", "postgres", "postmaster.pid");
    expect(fs.existsSync(pidFile)).toBe(false);

    // A postmaster.pid left by a crash whose pid now belongs to some other process.
    const bystander = spawn("sleep", ["60"]);
    started.push(bystander);
    fs.writeFileSync(pidFile, `${bystander.pid}\n${path.join(dir, "data", "postgres")}\n1700000000\n${pgPort}\n/tmp\n127.0.0.1\n  0  0\nready\n`);
    const afterCrash = run(dir, env);
    await listening(afterCrash);
    expect((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status).toBe(200);
    afterCrash.child.kill("SIGTERM");
    expect(await afterCrash.exited).toBe(0);
  });

  it("says which port to change when another program holds the embedded PostgreSQL's port", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "docket-process-"));
    workDirs.push(dir);
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const taken = (holder.address() as net.AddressInfo).port;
    try {
      const server = run(dir, userEnv({ DATA_DIR: "data", EMBEDDED_PG_PORT: String(taken), PORT: String(await freePort()) }));
      expect(await server.exited).toBe(1);
      expect(server.output().trim()).toMatch(new RegExp(`^Port ${taken} of the embedded PostgreSQL .* Set EMBEDDED_PG_PORT to a free port, or DATABASE_URL`));
    } finally {
      holder.close();
    }
  });
});

describe("the server process on a DATABASE_URL", () => {
  it("names DATABASE_URL, its host and port, never its password, when the password is wrong", async () => {
    const url = new URL(inject("adminDatabaseUrl"));
    url.password = "not-the-password";
    const server = run(os.tmpdir(), userEnv({ DATABASE_URL: url.toString(), PORT: String(await freePort()) }));
    expect(await server.exited).toBe(1);
    const output = server.output().trim();
    // The embedded test database is reached through its Unix socket (?host=/tmp), named too.
    expect(output).toMatch(new RegExp(`^Cannot connect to the database of DATABASE_URL \\(postgresql://${url.username}@${url.host}/postgres(\\?[^)]*)?\\): the server refused the credentials`));
    expect(output).not.toContain("not-the-password");
    expect(output.split("\n")).toHaveLength(1);
  });

  it("names DATABASE_URL when nothing listens there", async () => {
    const port = await freePort();
    const server = run(os.tmpdir(), userEnv({ DATABASE_URL: `postgresql://docket:secret-pw@127.0.0.1:${port}/docket`, PORT: String(await freePort()) }));
    expect(await server.exited).toBe(1);
    const output = server.output().trim();
    expect(output).toBe(
      `Cannot connect to the database of DATABASE_URL (postgresql://docket@127.0.0.1:${port}/docket): nothing accepts connections there (is PostgreSQL running, and is that its host and port?).`,
    );
  });
});
