// Two server processes on one database (`node src/server.ts`, and this test's own server): clients
// on the first, kill -9 it, and they reconnect to the other and resume from their last event id
// with no gap and no duplicate.
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDocketClient, type DocketClient, type Schemas } from "../sdk/index.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { PASSWORD, uniqueSlug } from "./support/fixtures.ts";
import { openStream, type StreamSocket } from "./support/stream.ts";
import { freePort } from "./support/ports.ts";

const SERVER = path.resolve(import.meta.dirname, "../src/server.ts");
const children: ChildProcess[] = [];
/** The surviving instance, in this process. */
let survivor: TestServer;
let dataDir: string;

/** `node src/server.ts` on the shared database; resolves with its URL once it listens. */
async function startProcess(env: NodeJS.ProcessEnv): Promise<{ url: string; child: ChildProcess; exited: Promise<unknown> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [SERVER], { env: { ...env, PORT: String(port) }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const deadline = Date.now() + 60_000;
  while (!output.includes('"Docket is listening"')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the server did not start:\n${output}`);
    await sleep(50);
  }
  return { url: `http://127.0.0.1:${port}`, child, exited };
}

beforeAll(async () => {
  survivor = await startServer({ workers: false, eventFeedPollMs: 200 });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "docket-stream-instances-"));
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  await Promise.all(children.map((child) => (child.exitCode === null && child.signalCode === null ? new Promise((resolve) => child.once("exit", resolve)) : undefined)));
  await survivor.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

type Event = Schemas["Event"];

/** A client that follows a topic and, when its socket dies, resumes on `fallback` from the last event it saw. */
class Follower {
  events: Event[] = [];
  /** Where to resume before any event arrived: the subscription's start (`subscribed.resumeAfter`). */
  start: string | null = null;
  socket: StreamSocket | undefined;
  readonly tokens: { accessToken?: string };
  readonly topic: Schemas["StreamTopic"];
  constructor(tokens: { accessToken?: string }, topic: Schemas["StreamTopic"]) {
    this.tokens = tokens;
    this.topic = topic;
  }
  async connect(baseUrl: string) {
    const socket = await openStream(baseUrl, createDocketClient({ baseUrl, ...this.tokens }));
    socket.ws.on("message", (data) => {
      const message = JSON.parse(data.toString()) as Schemas["StreamServerMessage"];
      if (message.type === "event") this.events.push(message.event);
    });
    const subscribed = await socket.subscribe("s", this.topic, this.events.at(-1)?.id ?? this.start ?? undefined);
    this.start ??= subscribed.resumeAfter;
    this.socket = socket;
  }
}

async function allPages<T>(read: (cursor: string | undefined) => Promise<{ data: T[]; nextCursor: string | null; hasMore?: boolean }>): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await read(cursor);
    all.push(...page.data);
    if (page.data.length === 0 || page.nextCursor === null || page.hasMore === false) return all;
    cursor = page.nextCursor;
  }
}

describe("two server processes on one database", () => {
  it("kill -9 one with clients attached: they resume on the other with 0 gaps and 0 duplicates", { timeout: 120_000 }, async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: "test",
      DATABASE_URL: survivor.databaseUrl,
      // The same key as the survivor, so tokens work on both.
      JWT_SECRET: survivor.config.jwtSecret,
      WEBHOOK_SECRET_KEY: crypto.randomBytes(48).toString("base64url"),
      WORKERS: "false",
      EVENT_FEED_POLL_MS: "200",
      DATA_DIR: dataDir,
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
    };
    const a = await startProcess(env);
    const b = { url: survivor.url };

    // A tenant with an admin, an agent and a customer, made through b.
    const slug = uniqueSlug();
    const admin = createDocketClient({ baseUrl: b.url });
    await admin.POST("/v1/auth/signup", { body: { tenantName: "Two instances", tenantSlug: slug, name: "Ada", email: `ada@${slug}.test`, password: PASSWORD } });
    const member = async (role: "agent" | "user"): Promise<DocketClient> => {
      const email = `${role}@${slug}.test`;
      await admin.POST("/v1/users", { body: { email, name: role, role, password: PASSWORD } });
      const client = createDocketClient({ baseUrl: b.url });
      await client.POST("/v1/auth/login", { body: { tenantSlug: slug, email, password: PASSWORD } });
      return client;
    };
    const agent = await member("agent");
    const customer = await member("user");
    const ticket = (await customer.POST("/v1/tickets", { body: { title: "Survives a crash" } })).data!;

    const followers = [
      new Follower(admin.tokens, { kind: "tenant" }),
      new Follower(agent.tokens, { kind: "tenant" }),
      new Follower(customer.tokens, { kind: "ticket", ticketId: ticket.id }),
    ];
    for (const follower of followers) await follower.connect(a.url);

    const comment = (i: number) => agent.POST("/v1/tickets/{ticketId}/comments", { params: { path: { ticketId: ticket.id } }, body: { body: `comment ${i}`, internal: i % 3 === 0 } });
    for (let i = 0; i < 10; i++) await comment(i);
    a.child.kill("SIGKILL");
    await a.exited;
    // Writes go on while the clients notice and reconnect.
    const writing = (async () => {
      for (let i = 10; i < 30; i++) await comment(i);
    })();
    for (const follower of followers) {
      await follower.socket!.closed;
      await follower.connect(b.url);
    }
    await writing;

    // What each one should have: the log as REST shows it to them, from their first event on.
    const trail = await allPages(async (cursor) => (await admin.GET("/v1/events", { params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } } })).data!);
    const activity = await allPages(async (cursor) => (await customer.GET("/v1/tickets/{ticketId}/activity", { params: { path: { ticketId: ticket.id }, query: { limit: 100, ...(cursor ? { cursor } : {}) } } })).data!);
    const expected = [trail, trail.filter((event) => event.ticketId !== null), activity];
    for (const [index, follower] of followers.entries()) {
      const want = expected[index]!;
      await expect.poll(() => follower.events.at(-1)?.id, { timeout: 10_000 }).toBe(want.at(-1)!.id);
      // From where it subscribed on the killed instance, even if nothing had arrived from there.
      const start = want.findIndex((event) => event.id === follower.start) + 1;
      expect(start).toBeGreaterThan(0);
      const got = follower.events.map((event) => event.id);
      expect(new Set(got).size, "no duplicates").toBe(got.length);
      expect(got, "no gaps, in order").toEqual(want.slice(start).map((event) => event.id));
      await follower.socket!.close();
    }
    // The customer saw the public comments only.
    const bodies = followers[2]!.events.filter((event) => event.type === "comment.created").map((event) => (event.data as { body: string }).body);
    expect(bodies).toEqual(Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 3 !== 0).map((i) => `comment ${i}`));
  });
});
