// Auto-assignment speed: `node bench/assignment.ts` (also `npm run bench:assignment`). Starts an
// embedded PostgreSQL and two API servers with their workers (`node src/server.ts`), as two
// instances of one deployment. Then:
//  1. decision: a group of 500 agents with 10,000 open tickets assigned among them; the routing
//     decision (the group's loads read in one statement, then the choice) timed 1,000 times on
//     the workers' connection role: p50/p95/max. Target p95 ≤ 10 ms.
//  2. capacity freed → queued ticket assigned: one agent of capacity 1 holds a ticket while the
//     next waits in the queue; the held ticket is solved over HTTP and the time from the PATCH's
//     answer to the waiting ticket's assignee showing in GET (polled every 5 ms) is taken, 30
//     times: p50/p95/max. Target ≤ 1 s.
//  3. burst: 10,000 tickets created over HTTP through both servers at once (BURST_IN_FLIGHT
//     requests in flight each) into a group of 100 agents: double assignments (tickets with more
//     than one routing assignment) must be 0, and every agent's load within 1 ticket of the others.
// Environment: BENCH_BURST (default 10000), BENCH_AGENTS (500), BENCH_OPEN (10000).
import crypto from "node:crypto";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { connectSystemDatabase } from "../src/db/client.ts";
import { chooseAssignee, LOADS_SQL } from "../src/modules/routing/assignment.ts";
import type { Child } from "./processes.ts";
import { PASSWORD, startApiServer, startBenchDatabase } from "./api-server.ts";
import { table } from "./report.ts";

const AGENTS = Number(process.env.BENCH_AGENTS ?? 500);
const OPEN_TICKETS = Number(process.env.BENCH_OPEN ?? 10_000);
const DECISIONS = 1_000;
const DRAIN_SAMPLES = 30;
const BURST = Number(process.env.BENCH_BURST ?? 10_000);
const BURST_AGENTS = 100;
const BURST_IN_FLIGHT = 8;

const progress = (message: string) => process.stderr.write(`${message}\n`);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 0)} ms`;
const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

class Api {
  readonly base: string;
  private readonly token: string | undefined;
  constructor(base: string, token?: string) {
    this.base = base;
    this.token = token;
  }
  as(token: string): Api {
    return new Api(this.base, token);
  }
  async call<T>(method: string, route: string, body?: unknown, expected = [200, 201]): Promise<T> {
    for (;;) {
      const response = await fetch(this.base + route, {
        method,
        headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      // A burst can find every connection busy: a client retries, as it would in production.
      if (response.status === 503) {
        await sleep(20);
        continue;
      }
      if (!expected.includes(response.status)) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
      return (response.status === 204 ? undefined : await response.json()) as T;
    }
  }
}

interface Tenant {
  admin: Api;
  tenantId: string;
  slug: string;
}

async function signUp(api: Api, slug: string): Promise<Tenant> {
  const result = await api.call<{ accessToken: string; tenant: { id: string } }>("POST", "/v1/auth/signup", {
    tenantName: slug,
    tenantSlug: slug,
    name: "Bench Admin",
    email: `admin@${slug}.test`,
    password: PASSWORD,
  });
  return { admin: api.as(result.accessToken), tenantId: result.tenant.id, slug };
}

async function login(api: Api, tenant: Tenant, email: string): Promise<Api> {
  const result = await api.call<{ accessToken: string }>("POST", "/v1/auth/login", { tenantSlug: tenant.slug, email, password: PASSWORD });
  return api.as(result.accessToken);
}

/** Agents, their group and a catch-all rule, written directly (the decision bench's seed). */
async function seedDecisionTenant(owner: pg.Client, tenantId: string): Promise<{ groupId: string }> {
  const hash = "$argon2id$v=19$m=19456,t=2,p=1$seedseedseedseed$seedseedseedseedseedseedseedseedseedseedsee";
  await owner.query(
    `INSERT INTO "User" ("tenantId", id, email, name, role, skills, capacity, "passwordHash", "updatedAt")
     SELECT $1::uuid, gen_random_uuid(), 'agent' || n || '@decision.test', 'Agent ' || n, 'agent', ARRAY['s' || (n % 10)], 100, $2, now()
       FROM generate_series(1, $3::int) n`,
    [tenantId, hash, AGENTS],
  );
  const [{ id: groupId }] = (await owner.query<{ id: string }>(`INSERT INTO "Group" ("tenantId", id, name, "updatedAt") VALUES ($1, gen_random_uuid(), 'Everyone', now()) RETURNING id`, [tenantId])).rows as [{ id: string }];
  await owner.query(`INSERT INTO "GroupMember" ("tenantId", "groupId", "userId") SELECT $1, $2, id FROM "User" WHERE "tenantId" = $1 AND role = 'agent'`, [tenantId, groupId]);
  // Open tickets spread over the agents (and numbered after what the tenant has).
  await owner.query(
    `WITH agents AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM "User" WHERE "tenantId" = $1 AND role = 'agent'),
          requester AS (SELECT id FROM "User" WHERE "tenantId" = $1 AND role = 'admin' LIMIT 1)
     INSERT INTO "Ticket" ("tenantId", id, number, title, status, "requesterId", "assigneeId", "groupId", "routedAt", "updatedAt")
     SELECT $1, gen_random_uuid(), 1000 + n, 'Seeded ' || n, (ARRAY['open', 'pending', 'on_hold'])[1 + n % 3]::"TicketStatus", requester.id, agents.id, $2, now(), now()
       FROM generate_series(0, $3::int - 1) n CROSS JOIN requester JOIN agents ON agents.i = n % $4`,
    [tenantId, groupId, OPEN_TICKETS, AGENTS],
  );
  await owner.query(`UPDATE "Tenant" SET "lastTicketNumber" = 1000 + $2 WHERE id = $1`, [tenantId, OPEN_TICKETS]);
  await owner.query(`ANALYZE "User"; ANALYZE "Ticket"; ANALYZE "GroupMember"`);
  return { groupId };
}

async function decisionBench(databaseUrl: string, tenantId: string, groupId: string): Promise<number[]> {
  const system = connectSystemDatabase(databaseUrl, { poolSize: 1 });
  try {
    const timings: number[] = [];
    for (let i = 0; i < DECISIONS + 50; i++) {
      const skills = i % 2 === 0 ? [] : [`s${i % 10}`];
      const started = performance.now();
      const choice = await chooseAssignee(system.prisma, tenantId, groupId, skills);
      const took = performance.now() - started;
      if (!choice.assigneeId) throw new Error(`no assignee: ${JSON.stringify(choice.decision)}`);
      if (i >= 50) timings.push(took); // the first ones warm the connection and the plans
    }
    return timings.sort((a, b) => a - b);
  } finally {
    await system.close();
  }
}

async function drainBench(api: Api): Promise<number[]> {
  const tenant = await signUp(api, `drain-${crypto.randomBytes(3).toString("hex")}`);
  const agent = await tenant.admin.call<{ id: string }>("POST", "/v1/users", { email: `solo@${tenant.slug}.test`, name: "Solo", role: "agent", password: PASSWORD, capacity: 1 });
  const solo = await login(api, tenant, `solo@${tenant.slug}.test`);
  const group = await tenant.admin.call<{ id: string }>("POST", "/v1/groups", { name: "Solo", memberIds: [agent.id] });
  await tenant.admin.call("POST", "/v1/routing-rules", { name: "All", conditions: {}, actions: { groupId: group.id } });
  const assigneeOf = async (ticketId: string) => (await tenant.admin.call<{ assigneeId: string | null }>("GET", `/v1/tickets/${ticketId}`)).assigneeId;
  const waitAssigned = async (ticketId: string) => {
    for (;;) {
      if ((await assigneeOf(ticketId)) !== null) return performance.now();
      await sleep(5);
    }
  };
  const hasQueuedEvent = async (ticketId: string) =>
    (await tenant.admin.call<{ data: unknown[] }>("GET", `/v1/events?ticketId=${ticketId}&type=ticket.queued`)).data.length > 0;

  let held = (await tenant.admin.call<{ id: string }>("POST", "/v1/tickets", { title: "Held" })).id;
  await waitAssigned(held);
  const timings: number[] = [];
  for (let i = 0; i < DRAIN_SAMPLES; i++) {
    const waiting = (await tenant.admin.call<{ id: string }>("POST", "/v1/tickets", { title: `Waiting ${i}` })).id;
    while (!(await hasQueuedEvent(waiting))) await sleep(5);
    await solo.call("PATCH", `/v1/tickets/${held}`, { status: "solved" });
    const freed = performance.now();
    timings.push((await waitAssigned(waiting)) - freed);
    held = waiting;
  }
  return timings.sort((a, b) => a - b);
}

interface BurstResult {
  createSeconds: number;
  assignedSeconds: number;
  doubleAssigned: number;
  unassigned: number;
  minLoad: number;
  maxLoad: number;
}

async function burstBench(first: Api, second: Api, owner: pg.Client): Promise<BurstResult> {
  const tenant = await signUp(first, `burst-${crypto.randomBytes(3).toString("hex")}`);
  const agentIds: string[] = [];
  for (let i = 0; i < BURST_AGENTS; i++) {
    agentIds.push((await tenant.admin.call<{ id: string }>("POST", "/v1/users", { email: `a${i}@${tenant.slug}.test`, name: `Agent ${i}`, role: "agent", password: PASSWORD, capacity: 1000 })).id);
  }
  const group = await tenant.admin.call<{ id: string }>("POST", "/v1/groups", { name: "Everyone", memberIds: agentIds });
  await tenant.admin.call("POST", "/v1/routing-rules", { name: "All", conditions: {}, actions: { groupId: group.id } });
  const doors = [tenant.admin, second.as((await second.call<{ accessToken: string }>("POST", "/v1/auth/login", { tenantSlug: tenant.slug, email: `admin@${tenant.slug}.test`, password: PASSWORD })).accessToken)];

  const started = performance.now();
  let next = 0;
  const lane = async (door: Api) => {
    while (next < BURST) {
      const n = next++;
      await door.call("POST", "/v1/tickets", { title: `Burst ${n}` });
      if (n % 1000 === 0) progress(`  burst: ${n} tickets created`);
    }
  };
  await Promise.all(Array.from({ length: BURST_IN_FLIGHT * 2 }, (_, i) => lane(doors[i % 2]!)));
  const createSeconds = (performance.now() - started) / 1000;
  progress(`  burst: ${BURST} created in ${createSeconds.toFixed(1)} s; waiting for routing`);
  for (;;) {
    const { rows } = await owner.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Ticket" WHERE "tenantId" = $1 AND "assigneeId" IS NULL`, [tenant.tenantId]);
    if (rows[0]!.n === 0) break;
    await sleep(100);
  }
  const assignedSeconds = (performance.now() - started) / 1000;
  const { rows: doubles } = await owner.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT "ticketId" FROM "Event" WHERE "tenantId" = $1 AND type = 'ticket.assigned' AND after ? 'decision' GROUP BY "ticketId" HAVING count(*) > 1) d`,
    [tenant.tenantId],
  );
  const { rows: unassigned } = await owner.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Ticket" WHERE "tenantId" = $1 AND "assigneeId" IS NULL`, [tenant.tenantId]);
  const { rows: loads } = await owner.query<{ min: number; max: number }>(
    `SELECT min(n)::int AS min, max(n)::int AS max FROM (SELECT u.id, count(t.id) AS n FROM "User" u LEFT JOIN "Ticket" t ON t."tenantId" = u."tenantId" AND t."assigneeId" = u.id
      WHERE u."tenantId" = $1 AND u.role = 'agent' GROUP BY u.id) l`,
    [tenant.tenantId],
  );
  return { createSeconds, assignedSeconds, doubleAssigned: doubles[0]!.n, unassigned: unassigned[0]!.n, minLoad: loads[0]!.min, maxLoad: loads[0]!.max };
}

async function main() {
  // Ports from a random base: other checkouts on this machine run benchmarks and suites too.
  const base = 57000 + Math.floor(Math.random() * 400) * 2;
  const database = await startBenchDatabase("assignment", base);
  const servers: Child[] = [];
  const owner = new pg.Client({ connectionString: database.url });
  try {
    await owner.connect();
    const jwtSecret = crypto.randomBytes(48).toString("base64url");
    const apis: Api[] = [];
    for (const name of ["API server 1", "API server 2"]) {
      const server = await startApiServer({
        name,
        databaseUrl: database.url,
        dataDir: path.join(database.workDir, `data-${apis.length}`),
        nodeEnv: "development",
        fromPort: base + 1000 + apis.length * 10,
        env: {
          // Two instances of one deployment: one signing secret.
          JWT_SECRET: jwtSecret,
          WEBHOOK_SECRET_KEY: jwtSecret,
          // A long burst on a loaded machine outlasts the default 15-minute access token.
          ACCESS_TOKEN_TTL_SECONDS: "86400",
          DATABASE_POOL_SIZE: "20",
        },
        readyTimeoutMs: 180_000,
      });
      servers.push(server.child);
      apis.push(new Api(server.base));
    }
    const [first, second] = apis as [Api, Api];

    progress(`1. seeding ${AGENTS} agents and ${OPEN_TICKETS} open tickets`);
    const decisionTenant = await signUp(first, "decision");
    const { groupId } = await seedDecisionTenant(owner, decisionTenant.tenantId);
    const decisions = await decisionBench(database.url, decisionTenant.tenantId, groupId);
    if (process.env.BENCH_EXPLAIN) {
      const explained = await owner.query(`SET ROLE docket_system; EXPLAIN (ANALYZE, BUFFERS) ${LOADS_SQL}`.replace("$1", `'${decisionTenant.tenantId}'`).replace(/\$1/g, `'${decisionTenant.tenantId}'`).replace(/\$2/g, `'${groupId}'`));
      console.log((explained as unknown as pg.QueryResult[])[1]!.rows.map((row) => row["QUERY PLAN"]).join("\n"));
      await owner.query("RESET ROLE");
      if (process.env.BENCH_EXPLAIN === "only") return;
    }

    progress(`2. capacity freed → queued ticket assigned, ${DRAIN_SAMPLES} times`);
    const drains = await drainBench(first);
    console.log(`\nAuto-assignment (${os.cpus().length} cores; shared and noisy: read the figures as an order of magnitude)\n`);
    console.log(
      table(
        ["measure", "p50", "p95", "max", "target"],
        [
          [`decision, ${AGENTS} agents / ${OPEN_TICKETS} open tickets (${DECISIONS} runs)`, ms(percentile(decisions, 50)), ms(percentile(decisions, 95)), ms(decisions.at(-1)!), "p95 ≤ 10 ms"],
          [`capacity freed → queued ticket assigned (${DRAIN_SAMPLES} runs)`, ms(percentile(drains, 50)), ms(percentile(drains, 95)), ms(drains.at(-1)!), "≤ 1 s"],
        ],
      ),
    );

    progress(`3. burst of ${BURST} tickets through both servers`);
    const burst = await burstBench(first, second, owner);
    console.log(
      "\n" +
        table(
          ["burst", "value"],
          [
            ["tickets, through 2 servers", BURST],
            ["created in", `${burst.createSeconds.toFixed(1)} s (${Math.round(BURST / burst.createSeconds)}/s)`],
            ["all assigned after", `${burst.assignedSeconds.toFixed(1)} s (${Math.round(BURST / burst.assignedSeconds)}/s)`],
            ["double assignments", burst.doubleAssigned],
            ["left unassigned", burst.unassigned],
            [`load per agent (${BURST_AGENTS} agents)`, `${burst.minLoad} … ${burst.maxLoad} (spread ${burst.maxLoad - burst.minLoad}; target ≤ 1)`],
          ],
        ),
    );
  } finally {
    await owner.end().catch(() => {});
    for (const server of servers) await server.stop();
    await database.stop();
  }
}

await main();
