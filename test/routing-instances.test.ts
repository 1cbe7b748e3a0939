// Two real server processes (node src/server.ts, each with its workers) on one database take a
// burst of tickets through both doors at once: every ticket is assigned exactly once, and the
// load ends up spread across the group's agents within one ticket.
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDocketClient, type DocketClient, type Schemas } from "../sdk/index.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { PASSWORD, uniqueSlug } from "./support/fixtures.ts";
import { startServerProcess, type ServerProcess } from "./support/server-process.ts";
import { eventually } from "./support/webhook-receiver.ts";

const AGENTS = 5;
const TICKETS = 60;
/** Requests in flight per process. */
const IN_FLIGHT = 3;

let database: TestServer;
const processes: ServerProcess[] = [];

/** A process of the deployment: its own workers, on the shared database. */
const startProcess = (databaseUrl: string, jwtSecret: string) =>
  startServerProcess({
    DATABASE_URL: databaseUrl,
    JWT_SECRET: jwtSecret,
    EVENT_FEED_POLL_MS: "1000",
    RATE_LIMIT_PER_MINUTE: "100000",
    AUTH_RATE_LIMIT_PER_MINUTE: "100000",
    RATE_LIMIT_TENANT_PER_MINUTE: "1000000",
  });

beforeAll(async () => {
  // This server only provides the database (cloned from the migrated template); the two
  // processes do all the work, workers included.
  database = await startServer({ workers: false });
  const jwtSecret = crypto.randomBytes(48).toString("base64url");
  processes.push(...(await Promise.all([startProcess(database.databaseUrl, jwtSecret), startProcess(database.databaseUrl, jwtSecret)])));
}, 120_000);

afterAll(async () => {
  await Promise.all(processes.map((server) => server.stop()));
  await database?.close();
});

async function member(admin: DocketClient, slug: string, baseUrl: string, role: "agent" | "user", name: string): Promise<{ client: DocketClient; user: Schemas["User"] }> {
  const email = `${name}@${slug}.test`;
  const created = await admin.POST("/v1/users", { body: { email, name, role, password: PASSWORD, ...(role === "agent" ? { capacity: 100 } : {}) } });
  expect(created.error, JSON.stringify(created.error)).toBeUndefined();
  const client = createDocketClient({ baseUrl });
  expect((await client.POST("/v1/auth/login", { body: { tenantSlug: slug, email, password: PASSWORD } })).response.status).toBe(200);
  return { client, user: created.data! };
}

describe("auto-assignment across two server processes", () => {
  it("assigns every ticket of a burst exactly once, spreading the load within one ticket", { timeout: 180_000 }, async () => {
    const [first, second] = processes as [(typeof processes)[0], (typeof processes)[0]];
    const slug = uniqueSlug();
    const admin = createDocketClient({ baseUrl: first.url });
    const signup = await admin.POST("/v1/auth/signup", { body: { tenantName: "Two doors", tenantSlug: slug, name: "Ada", email: `ada@${slug}.test`, password: PASSWORD } });
    expect(signup.error, JSON.stringify(signup.error)).toBeUndefined();
    const agents = await Promise.all(Array.from({ length: AGENTS }, (_, i) => member(admin, slug, first.url, "agent", `agent${i}`)));
    const group = await admin.POST("/v1/groups", { body: { name: "Everyone", memberIds: agents.map((agent) => agent.user.id) } });
    await admin.POST("/v1/routing-rules", { body: { name: "All", conditions: {}, actions: { groupId: group.data!.id } } });
    // Customers on each door: their tickets arrive through both processes at once.
    const viaFirst = await member(admin, slug, first.url, "user", "alice");
    const viaSecond = await member(admin, slug, second.url, "user", "bob");
    // A few requests in flight per door at once, as a busy widget would send them.
    const opened: string[] = [];
    const open = async (door: typeof viaFirst, numbers: number[]) => {
      for (const i of numbers) {
        const { data, error } = await door.client.POST("/v1/tickets", { body: { title: `Burst ${i}` } });
        expect(error, JSON.stringify(error)).toBeUndefined();
        opened.push(data!.id);
      }
    };
    const lanes = Array.from({ length: IN_FLIGHT * 2 }, (_, lane) => Array.from({ length: TICKETS / (IN_FLIGHT * 2) }, (_, i) => i * IN_FLIGHT * 2 + lane));
    await Promise.all(lanes.map((numbers, lane) => open(lane % 2 === 0 ? viaFirst : viaSecond, numbers)));
    const assigned = await eventually(async () => {
      const events: Schemas["Event"][] = [];
      let cursor: string | undefined;
      let more = true;
      while (more) {
        const page = (await admin.GET("/v1/events", { params: { query: { type: ["ticket.assigned"], limit: 100, cursor } } })).data!;
        events.push(...page.data);
        cursor = page.nextCursor ?? undefined;
        more = page.hasMore;
      }
      expect(events).toHaveLength(TICKETS);
      return events;
    }, 60_000);
    // Exactly one assignment per ticket, each by routing, each ticket of the burst.
    expect(new Set(assigned.map((event) => event.ticketId))).toEqual(new Set(opened));
    expect(assigned.every((event) => event.actor.type === "system")).toBe(true);
    const load = new Map<string, number>();
    for (const event of assigned) {
      const assigneeId = (event.after as { assigneeId: string }).assigneeId;
      load.set(assigneeId, (load.get(assigneeId) ?? 0) + 1);
    }
    expect(load.size).toBe(AGENTS);
    expect(Math.max(...load.values()) - Math.min(...load.values())).toBeLessThanOrEqual(1);
    // And the tickets agree with the events.
    const stats = (await admin.GET("/v1/tickets/stats")).data!;
    expect(stats.unassigned).toBe(0);
    expect(stats.byAssignee.map((row) => row.count).sort()).toEqual([...load.values()].sort());
    for (const process of processes) expect(process.child.exitCode).toBeNull();
  });
});
