// In-app notification speed: `node bench/notifications.ts` (also `npm run bench:notifications`).
// Starts an embedded PostgreSQL and the API with its workers (`node src/server.ts`). An agent
// follows a ticket and holds a live-stream socket open. Then:
//  1. commit → pushed: comments committed at 50/s for 10 s, each in its own transaction (the
//     Comment row and its comment.created event, as the comments service writes them), and for
//     each the time from COMMIT's return to the `notification` message on the agent's socket:
//     p50/p95. The push is sent at the consumer's commit, so a pushed notification is already
//     listed by GET /v1/notifications. Target p95 ≤ 150 ms.
//  2. commit → visible: 50 comments one at a time, each timed until GET /v1/notifications/unread-count
//     (polled every 2 ms) shows it: p50/p95.
//  3. unread count at 100,000 notifications for one user: 2,000 GET /v1/notifications/unread-count
//     in sequence over HTTP (keep-alive): p50/p99. Target p99 ≤ 5 ms. Beside it, the statement
//     alone on a connection, and GET /v1/auth/me (the smallest authenticated request) as the
//     server's floor on this machine.
//  4. mark all read over 100,000 unread notifications: POST /v1/notifications/read-all over HTTP,
//     5 times (the watermark and the counter reset between runs): median and max. Target ≤ 100 ms.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../src/db/embedded.ts";
import { migrate } from "../src/db/migrate.ts";
import { freePort, startChild, waitUntilReady, type Child } from "./processes.ts";

const RATE = 50;
const PUSH_SECONDS = 10;
const VISIBLE_SAMPLES = 50;
const SEEDED = 100_000;
const COUNT_SAMPLES = 2_000;
const MARK_ALL_RUNS = 5;
const PASSWORD = "correct horse battery staple";
const root = path.resolve(import.meta.dirname, "..");

async function json<T>(response: Response, expected: number): Promise<T> {
  if (response.status !== expected) throw new Error(`${response.url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const progress = (message: string) => process.stderr.write(`${message}\n`);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const sortedCopy = (values: number[]) => [...values].sort((a, b) => a - b);

async function main() {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "docket-bench-notifications-"));
  const database = await startEmbeddedPostgres({ dataDir: path.join(workDir, "pg"), port: await freePort(56600) });
  let server: Child | undefined;
  let socket: WebSocket | undefined;
  try {
    await migrate(database.url);
    const port = await freePort(56700);
    const base = `http://127.0.0.1:${port}`;
    server = startChild(
      "API server",
      "src/server.ts",
      {
        NODE_ENV: "development",
        DATABASE_URL: database.url,
        HOST: "127.0.0.1",
        PORT: String(port),
        DATA_DIR: path.join(workDir, "data"),
        JWT_SECRET: crypto.randomBytes(48).toString("base64url"),
        WEBHOOK_SECRET_KEY: crypto.randomBytes(48).toString("base64url"),
        RATE_LIMIT_PER_MINUTE: "1000000",
        RATE_LIMIT_TENANT_PER_MINUTE: "100000000",
        AUTH_RATE_LIMIT_PER_MINUTE: "1000000",
        LOG_LEVEL: "warn",
      },
      root,
    );
    await waitUntilReady(server, `${base}/readyz`);

    // A tenant, its admin (who comments) and an agent (who follows the ticket and is notified).
    const signup = await json<{ accessToken: string; tenant: { id: string }; user: { id: string } }>(
      await fetch(`${base}/v1/auth/signup`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ tenantName: "Bench", tenantSlug: "bench", name: "Bench Admin", email: "bench@bench.test", password: PASSWORD }),
      }),
      201,
    );
    const tenantId = signup.tenant.id;
    const adminId = signup.user.id;
    const admin = { authorization: `Bearer ${signup.accessToken}`, "content-type": "application/json" };
    const agentUser = await json<{ id: string }>(
      await fetch(`${base}/v1/users`, { method: "POST", headers: admin, body: JSON.stringify({ email: "agent@bench.test", name: "Bench Agent", role: "agent", password: PASSWORD }) }),
      201,
    );
    const login = await json<{ accessToken: string }>(
      await fetch(`${base}/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ tenantSlug: "bench", email: "agent@bench.test", password: PASSWORD }) }),
      200,
    );
    const agent = { authorization: `Bearer ${login.accessToken}`, "content-type": "application/json" };
    const ticket = await json<{ id: string }>(await fetch(`${base}/v1/tickets`, { method: "POST", headers: admin, body: JSON.stringify({ title: "Bench ticket" }) }), 201);
    await json(await fetch(`${base}/v1/tickets/${ticket.id}/subscription`, { method: "PUT", headers: agent, body: JSON.stringify({ state: "following" }) }), 200);

    // The agent's live socket: every pushed notification is timed by its comment id.
    const pushedAt = new Map<string, number>();
    const stream = await json<{ url: string }>(await fetch(`${base}/v1/stream/tickets`, { method: "POST", headers: { authorization: agent.authorization } }), 201);
    socket = new WebSocket(`ws://127.0.0.1:${port}${stream.url}`);
    await new Promise<void>((resolve, reject) => {
      socket!.addEventListener("message", (message) => {
        const parsed = JSON.parse(String(message.data)) as { type: string; notification?: { commentId: string | null } };
        if (parsed.type === "welcome") resolve();
        if (parsed.type === "notification" && parsed.notification?.commentId) pushedAt.set(parsed.notification.commentId, performance.now());
      });
      socket!.addEventListener("error", () => reject(new Error("the live socket failed")));
    });

    // A comment as the comments service writes it: the row and its event, in one transaction.
    const writers = new pg.Pool({ connectionString: database.url, max: 8 });
    const writeComment = async (n: number): Promise<{ commentId: string; committed: number }> => {
      const commentId = crypto.randomUUID();
      const client = await writers.connect();
      try {
        await client.query("BEGIN");
        await client.query(`INSERT INTO "Comment" ("tenantId", id, "ticketId", "authorId", body, "updatedAt") VALUES ($1, $2, $3, $4, $5, now())`, [tenantId, commentId, ticket.id, adminId, `bench comment ${n}`]);
        await client.query(
          `INSERT INTO "Event" ("tenantId", id, type, "actorType", "actorId", "entityType", "entityId", "ticketId", after) VALUES ($1, gen_random_uuid(), 'comment.created', 'user', $2, 'comment', $3, $4, $5)`,
          [tenantId, adminId, commentId, ticket.id, JSON.stringify({ commentId, ticketId: ticket.id, parentId: null, authorId: adminId, internal: false })],
        );
        await client.query("COMMIT");
        return { commentId, committed: performance.now() };
      } finally {
        client.release();
      }
    };
    const waitForPush = async (commentId: string, timeoutMs = 30_000) => {
      const deadline = performance.now() + timeoutMs;
      while (!pushedAt.has(commentId)) {
        if (performance.now() > deadline) throw new Error(`no notification pushed for comment ${commentId}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };

    // 1. Commit → pushed.
    progress("warm-up");
    for (let n = 0; n < 20; n++) await waitForPush((await writeComment(n)).commentId);
    progress(`commit → pushed: ${RATE} comments/s for ${PUSH_SECONDS} s`);
    const total = RATE * PUSH_SECONDS;
    const committed: Array<Promise<{ commentId: string; committed: number }>> = [];
    const started = performance.now();
    for (let n = 0; n < total; n++) {
      const wait = started + (n * 1000) / RATE - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      committed.push(writeComment(n));
    }
    const written = await Promise.all(committed);
    const achievedRate = total / ((performance.now() - started) / 1000);
    for (const { commentId } of written) await waitForPush(commentId);
    // A push may arrive before COMMIT's answer reaches the bench: that counts as 0.
    const pushLatencies = sortedCopy(written.map(({ commentId, committed: at }) => Math.max(0, pushedAt.get(commentId)! - at)));

    // 2. Commit → visible over REST.
    progress(`commit → visible: ${VISIBLE_SAMPLES} comments, unread count polled`);
    const count = async () => (await json<{ unreadCount: number }>(await fetch(`${base}/v1/notifications/unread-count`, { headers: agent }), 200)).unreadCount;
    const visibleLatencies: number[] = [];
    for (let n = 0; n < VISIBLE_SAMPLES; n++) {
      const before = await count();
      const { committed: at } = await writeComment(n);
      while ((await count()) === before) await new Promise((resolve) => setTimeout(resolve, 2));
      visibleLatencies.push(performance.now() - at);
    }
    const visibleSorted = sortedCopy(visibleLatencies);
    await writers.end();

    // 3 and 4 need 100,000 notifications for the agent: seeded in SQL (events the consumer passes
    // by, and a notification for each), with the counter the inbox keeps.
    progress(`seeding ${SEEDED.toLocaleString("en-US")} notifications for one user`);
    const sql = new pg.Client({ connectionString: database.url });
    await sql.connect();
    await sql.query("BEGIN");
    await sql.query(
      `WITH events AS (
         INSERT INTO "Event" ("tenantId", id, type, "actorType", "actorId", "entityType", "entityId", "ticketId", after)
         SELECT $1, gen_random_uuid(), 'ticket.updated', 'user', $2, 'ticket', $3, $3, '{"priority":"high"}' FROM generate_series(1, $5)
         RETURNING id
       )
       INSERT INTO "Notification" ("tenantId", id, "userId", "eventId", "eventType", reason, "ticketId", "actorType", "actorId", summary, "inApp", email, "createdAt")
       SELECT $1, gen_random_uuid(), $4, id, 'ticket.updated', 'follower', $3, 'user', $2, 'Bench Admin commented on #1 Bench ticket', true, false, now() - random() * interval '30 days' FROM events`,
      [tenantId, adminId, ticket.id, agentUser.id, SEEDED],
    );
    const resetInbox = () =>
      sql.query(
        `UPDATE "NotificationInbox" SET "readUpTo" = NULL, "readAllAt" = NULL,
                "unreadCount" = (SELECT count(*) FROM "Notification" WHERE "tenantId" = $1 AND "userId" = $2 AND "inApp" AND "readAt" IS NULL)
          WHERE "tenantId" = $1 AND "userId" = $2`,
        [tenantId, agentUser.id],
      );
    await resetInbox();
    await sql.query("COMMIT");
    await sql.query(`ANALYZE "Notification"`);
    const unreadBefore = await count();

    progress(`unread count: ${COUNT_SAMPLES} requests`);
    for (let n = 0; n < 200; n++) await count(); // warm-up
    const countLatencies: number[] = [];
    for (let n = 0; n < COUNT_SAMPLES; n++) {
      const at = performance.now();
      await count();
      countLatencies.push(performance.now() - at);
    }
    const countSorted = sortedCopy(countLatencies);
    // The server's floor: the smallest authenticated request, measured alike, interleaved.
    const floorLatencies: number[] = [];
    for (let n = 0; n < COUNT_SAMPLES; n++) {
      const at = performance.now();
      await json(await fetch(`${base}/v1/auth/me`, { headers: agent }), 200);
      floorLatencies.push(performance.now() - at);
    }
    const floorSorted = sortedCopy(floorLatencies);
    // The same statement straight on a connection: the database's share of the round trip.
    const statementLatencies: number[] = [];
    for (let n = 0; n < COUNT_SAMPLES; n++) {
      const at = performance.now();
      await sql.query({ name: "unread", text: `SELECT "unreadCount", "readUpTo" FROM "NotificationInbox" WHERE "tenantId" = $1 AND "userId" = $2`, values: [tenantId, agentUser.id] });
      statementLatencies.push(performance.now() - at);
    }
    const statementSorted = sortedCopy(statementLatencies);

    progress(`mark all read: ${MARK_ALL_RUNS} runs over ${unreadBefore.toLocaleString("en-US")} unread`);
    const markAll: number[] = [];
    for (let run = 0; run < MARK_ALL_RUNS; run++) {
      await resetInbox();
      if ((await count()) < SEEDED) throw new Error("the inbox was not reset");
      const at = performance.now();
      const result = await json<{ unreadCount: number }>(await fetch(`${base}/v1/notifications/read-all`, { method: "POST", headers: agent, body: "{}" }), 200);
      markAll.push(performance.now() - at);
      if (result.unreadCount !== 0) throw new Error(`mark all read left ${result.unreadCount} unread`);
    }
    await sql.end();
    const markAllSorted = sortedCopy(markAll);

    const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");
    const ms = (value: number) => `${value.toFixed(1)} ms`;
    console.log(
      [
        `In-app notifications (${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? "?"}), API with workers in one process`,
        `  commit → pushed on the live socket at ${Math.round(achievedRate)} comments/s (${pushLatencies.length} notifications): ` +
          `p50 ${ms(percentile(pushLatencies, 50))}, p95 ${ms(percentile(pushLatencies, 95))}, max ${ms(pushLatencies.at(-1)!)}  (target p95 ≤ 150 ms: ${verdict(percentile(pushLatencies, 95) <= 150)})`,
        `  commit → visible in GET /v1/notifications/unread-count (${visibleSorted.length}, one at a time, polled every 2 ms): ` +
          `p50 ${ms(percentile(visibleSorted, 50))}, p95 ${ms(percentile(visibleSorted, 95))}  (target p95 ≤ 150 ms: ${verdict(percentile(visibleSorted, 95) <= 150)})`,
        `  unread count at ${unreadBefore.toLocaleString("en-US")} unread notifications, HTTP round trip (${COUNT_SAMPLES}): ` +
          `p50 ${ms(percentile(countSorted, 50))}, p99 ${ms(percentile(countSorted, 99))}  (target p99 ≤ 5 ms: ${verdict(percentile(countSorted, 99) <= 5)}); ` +
          `its statement alone: p50 ${ms(percentile(statementSorted, 50))}, p99 ${ms(percentile(statementSorted, 99))}; ` +
          `GET /v1/auth/me for comparison: p50 ${ms(percentile(floorSorted, 50))}, p99 ${ms(percentile(floorSorted, 99))}`,
        `  mark all read over ${SEEDED.toLocaleString("en-US")} unread, HTTP round trip (${MARK_ALL_RUNS} runs): ` +
          `median ${ms(percentile(markAllSorted, 50))}, max ${ms(markAllSorted.at(-1)!)}  (target ≤ 100 ms: ${verdict(markAllSorted.at(-1)! <= 100)})`,
      ].join("\n"),
    );
  } finally {
    socket?.close();
    await server?.stop();
    await database.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
