// Reports through the real server, against figures worked out by hand: tickets opened through the
// API, then their timestamps set in SQL to known instants (the API stamps "now"), so every count,
// median and p90 below can be checked with a pencil.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { addMember, signUp, type SignedUpTenant } from "./support/fixtures.ts";
import { openTicket } from "./support/tickets.ts";
import type { Schemas } from "../sdk/index.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

interface Times {
  createdAt: string;
  firstResponseAt?: string;
  solvedAt?: string;
  status?: Schemas["TicketStatus"];
  deleted?: boolean;
}

/** A ticket of `tenant` with the given timestamps (ISO instants, or SQL for relative ones). */
async function ticketAt(tenant: SignedUpTenant, times: Times, body: Partial<Schemas["TicketCreate"]> = {}): Promise<string> {
  const ticket = await openTicket(tenant.client, { title: "Fixture", ...body });
  const literal = (value: string | undefined) => (value === undefined ? "NULL" : value.startsWith("now()") ? value : `'${value}'::timestamptz`);
  const status = times.status ?? (times.solvedAt ? "solved" : "open");
  await server.asOwner(`UPDATE "Ticket" SET "createdAt" = ${literal(times.createdAt)}, "firstResponseAt" = ${literal(times.firstResponseAt)},
    "solvedAt" = ${literal(times.solvedAt)}, status = '${status}', "deletedAt" = ${times.deleted ? "now()" : "NULL"} WHERE id = '${ticket.id}'`);
  return ticket.id;
}

const plus = (iso: string, seconds: number) => new Date(Date.parse(iso) + seconds * 1000).toISOString();

describe("tickets created and solved per day", () => {
  let tenant: SignedUpTenant;
  beforeAll(async () => {
    tenant = await signUp(server);
    await ticketAt(tenant, { createdAt: "2026-01-10T04:30:00Z" }); // New York: Jan 9, 23:30
    await ticketAt(tenant, { createdAt: "2026-01-10T05:30:00Z", solvedAt: "2026-01-12T15:00:00Z" }); // Jan 10, 00:30; solved Jan 12
    await ticketAt(tenant, { createdAt: "2026-01-11T15:00:00Z", solvedAt: "2026-01-12T04:59:00Z" }); // Jan 11; solved Jan 11, 23:59
    await ticketAt(tenant, { createdAt: "2026-01-12T12:00:00Z", solvedAt: "2026-01-13T06:00:00Z" }); // Jan 12; solved Jan 13, 01:00
    await ticketAt(tenant, { createdAt: "2026-01-13T04:00:00Z" }); // Jan 12, 23:00
    await ticketAt(tenant, { createdAt: "2026-01-11T12:00:00Z", solvedAt: "2026-01-11T13:00:00Z", deleted: true });
    // Clocks go forward in New York on March 8: 04:30 UTC on March 9 is 00:30 EDT, March 9.
    await ticketAt(tenant, { createdAt: "2026-03-09T04:30:00Z" });
  });

  it("counts by the calendar days of the time zone asked for, deleted tickets left out, empty days as zeros", async () => {
    const { data, error } = await tenant.client.GET("/v1/reports/tickets-per-day", { params: { query: { from: "2026-01-10", to: "2026-01-12", timeZone: "America/New_York" } } });
    expect(error).toBeUndefined();
    expect(data).toEqual({
      from: "2026-01-10",
      to: "2026-01-12",
      timeZone: "America/New_York",
      days: [
        { date: "2026-01-10", created: 1, solved: 0 },
        { date: "2026-01-11", created: 1, solved: 1 },
        { date: "2026-01-12", created: 2, solved: 1 },
      ],
      totals: { created: 4, solved: 2 },
    });
    const utc = await tenant.client.GET("/v1/reports/tickets-per-day", { params: { query: { from: "2026-01-09", to: "2026-01-13" } } });
    expect(utc.data!.timeZone).toBe("UTC");
    expect(utc.data!.days).toEqual([
      { date: "2026-01-09", created: 0, solved: 0 },
      { date: "2026-01-10", created: 2, solved: 0 },
      { date: "2026-01-11", created: 1, solved: 0 },
      { date: "2026-01-12", created: 1, solved: 2 },
      { date: "2026-01-13", created: 1, solved: 1 },
    ]);
  });

  it("follows the zone's clock change", async () => {
    const { data } = await tenant.client.GET("/v1/reports/tickets-per-day", { params: { query: { from: "2026-03-08", to: "2026-03-09", timeZone: "America/New_York" } } });
    expect(data!.days).toEqual([
      { date: "2026-03-08", created: 0, solved: 0 },
      { date: "2026-03-09", created: 1, solved: 0 },
    ]);
  });
});

describe("first-reply and resolution times", () => {
  it("gives the median and p90 per assignee, per group and overall, each counted when it happened", async () => {
    const tenant = await signUp(server);
    const bea = await addMember(server, tenant, "agent", "Bea Agent");
    const cal = await addMember(server, tenant, "agent", "Cal Agent");
    const billing = (await tenant.client.POST("/v1/groups", { body: { name: "Billing", memberIds: [bea.user.id] } })).data!;
    const start = "2026-02-02T00:00:00Z";
    // Bea, in the Billing group: first replies after 10, 20, 30 and 60 minutes; two solved, after 1 and 2 hours.
    const beas = { assigneeId: bea.user.id, groupId: billing.id };
    await ticketAt(tenant, { createdAt: start, firstResponseAt: plus(start, 600), solvedAt: plus(start, 3600) }, beas);
    await ticketAt(tenant, { createdAt: start, firstResponseAt: plus(start, 1200), solvedAt: plus(start, 7200) }, beas);
    await ticketAt(tenant, { createdAt: start, firstResponseAt: plus(start, 1800) }, beas);
    await ticketAt(tenant, { createdAt: start, firstResponseAt: plus(start, 3600) }, beas);
    // Before the range: Bea's first reply on January 31 does not count.
    await ticketAt(tenant, { createdAt: "2026-01-31T23:00:00Z", firstResponseAt: "2026-01-31T23:30:00Z" }, beas);
    // Cal: one first reply after 5 minutes, nothing solved; a deleted ticket of his is left out.
    await ticketAt(tenant, { createdAt: start, firstResponseAt: plus(start, 300) }, { assigneeId: cal.user.id });
    await ticketAt(tenant, { createdAt: start, firstResponseAt: plus(start, 10), deleted: true }, { assigneeId: cal.user.id });
    // Unassigned: a first reply after 1 minute, solved after a day; and one opened in January, solved
    // in February after 2 hours, whose resolution counts in February.
    await ticketAt(tenant, { createdAt: "2026-02-03T00:00:00Z", firstResponseAt: "2026-02-03T00:01:00Z", solvedAt: "2026-02-04T00:00:00Z" });
    await ticketAt(tenant, { createdAt: "2026-01-31T23:00:00Z", solvedAt: "2026-02-01T01:00:00Z" });

    const { data, error } = await tenant.client.GET("/v1/reports/response-times", { params: { query: { from: "2026-02-01", to: "2026-02-28" } } });
    expect(error).toBeUndefined();
    expect(data).toEqual({
      from: "2026-02-01",
      to: "2026-02-28",
      timeZone: "UTC",
      // first replies 60, 300, 600, 1200, 1800, 3600: median (600 + 1200) / 2, p90 at 4.5 of 0..5
      // resolutions 3600, 7200, 7200, 86400: median 7200, p90 at 2.7 of 0..3
      overall: {
        firstReply: { count: 6, medianSeconds: 900, p90Seconds: 2700 },
        resolution: { count: 4, medianSeconds: 7200, p90Seconds: 62640 },
      },
      byAgent: [
        // 600, 1200, 1800, 3600: p90 at 2.7 → 1800 + 0.7 × 1800; 3600, 7200: p90 at 0.9 → 3600 + 0.9 × 3600
        { assigneeId: bea.user.id, firstReply: { count: 4, medianSeconds: 1500, p90Seconds: 3060 }, resolution: { count: 2, medianSeconds: 5400, p90Seconds: 6840 } },
        // 86400 and 7200: median 46800, p90 7200 + 0.9 × 79200
        { assigneeId: null, firstReply: { count: 1, medianSeconds: 60, p90Seconds: 60 }, resolution: { count: 2, medianSeconds: 46800, p90Seconds: 78480 } },
        { assigneeId: cal.user.id, firstReply: { count: 1, medianSeconds: 300, p90Seconds: 300 }, resolution: { count: 0, medianSeconds: null, p90Seconds: null } },
      ],
      byGroup: [
        // Billing holds exactly Bea's tickets.
        { groupId: billing.id, firstReply: { count: 4, medianSeconds: 1500, p90Seconds: 3060 }, resolution: { count: 2, medianSeconds: 5400, p90Seconds: 6840 } },
        // No group: Cal's and the unassigned. First replies 60, 300: median 180, p90 60 + 0.9 × 240.
        { groupId: null, firstReply: { count: 2, medianSeconds: 180, p90Seconds: 276 }, resolution: { count: 2, medianSeconds: 46800, p90Seconds: 78480 } },
      ],
    });
  });

  it("is empty, not an error, for a range without tickets", async () => {
    const tenant = await signUp(server);
    const { data } = await tenant.client.GET("/v1/reports/response-times", { params: { query: { from: "2020-01-01", to: "2020-01-01", timeZone: "Asia/Tokyo" } } });
    expect(data).toEqual({
      from: "2020-01-01",
      to: "2020-01-01",
      timeZone: "Asia/Tokyo",
      overall: { firstReply: { count: 0, medianSeconds: null, p90Seconds: null }, resolution: { count: 0, medianSeconds: null, p90Seconds: null } },
      byAgent: [],
      byGroup: [],
    });
  });
});

describe("backlog by age", () => {
  it("buckets the unsolved tickets by age, by status and priority, leaving solved and deleted ones out", async () => {
    const tenant = await signUp(server);
    await ticketAt(tenant, { createdAt: "now() - interval '2 hours'" });
    await ticketAt(tenant, { createdAt: "now() - interval '2 days'", status: "pending" });
    await ticketAt(tenant, { createdAt: "now() - interval '5 days'", status: "on_hold" }, { priority: "high" });
    await ticketAt(tenant, { createdAt: "now() - interval '10 days'" }, { priority: "urgent" });
    await ticketAt(tenant, { createdAt: "now() - interval '40 days'" }, { priority: "low" });
    await ticketAt(tenant, { createdAt: "now() - interval '41 days'" }, { priority: "low" });
    await ticketAt(tenant, { createdAt: "now() - interval '3 days'", solvedAt: "now() - interval '1 day'" });
    await ticketAt(tenant, { createdAt: "now() - interval '3 days'", deleted: true });
    const { data, error } = await tenant.client.GET("/v1/reports/backlog");
    expect(error).toBeUndefined();
    expect(Math.abs(Date.parse(data!.asOf) - Date.now())).toBeLessThan(60_000);
    const none = { open: 0, pending: 0, on_hold: 0 };
    const noPriority = { low: 0, normal: 0, high: 0, urgent: 0 };
    expect(data!.total).toBe(6);
    expect(data!.buckets).toEqual([
      { bucket: "under_1d", minAgeDays: 0, maxAgeDays: 1, count: 1, byStatus: { ...none, open: 1 }, byPriority: { ...noPriority, normal: 1 } },
      { bucket: "1d_3d", minAgeDays: 1, maxAgeDays: 3, count: 1, byStatus: { ...none, pending: 1 }, byPriority: { ...noPriority, normal: 1 } },
      { bucket: "3d_7d", minAgeDays: 3, maxAgeDays: 7, count: 1, byStatus: { ...none, on_hold: 1 }, byPriority: { ...noPriority, high: 1 } },
      { bucket: "7d_30d", minAgeDays: 7, maxAgeDays: 30, count: 1, byStatus: { ...none, open: 1 }, byPriority: { ...noPriority, urgent: 1 } },
      { bucket: "over_30d", minAgeDays: 30, maxAgeDays: null, count: 2, byStatus: { ...none, open: 2 }, byPriority: { ...noPriority, low: 2 } },
    ]);
  });

  it("is all zeros for a tenant without tickets", async () => {
    const tenant = await signUp(server);
    const { data } = await tenant.client.GET("/v1/reports/backlog");
    expect(data!.total).toBe(0);
    expect(data!.buckets.map((bucket) => bucket.count)).toEqual([0, 0, 0, 0, 0]);
  });
});

describe("report parameters and roles", () => {
  it("answers 400 naming the parameter for a bad range or time zone, and 403 to agents", async () => {
    const tenant = await signUp(server);
    const agent = await addMember(server, tenant, "agent");
    const problem = async (query: Record<string, string>) => {
      const response = await fetch(`${server.url}/v1/reports/tickets-per-day?${new URLSearchParams(query)}`, { headers: { authorization: `Bearer ${tenant.client.tokens.accessToken}` } });
      expect(response.status).toBe(400);
      return ((await response.json()) as { errors: { parameter?: string }[] }).errors[0]!.parameter;
    };
    expect(await problem({ from: "2026-01-10", to: "2026-01-09" })).toBe("to");
    expect(await problem({ from: "2025-01-01", to: "2026-01-02" })).toBe("to");
    expect(await problem({ from: "2026-01-01", to: "2026-01-02", timeZone: "Mars/Olympus_Mons" })).toBe("timeZone");
    expect(await problem({ from: "2026-01-01", to: "2026-01-02", timeZone: "+05:00" })).toBe("timeZone");
    expect(await problem({ from: "2026-02-30", to: "2026-03-02" })).toBe("from");
    expect(await problem({ to: "2026-03-02" })).toBe("from");
    expect((await tenant.client.GET("/v1/reports/tickets-per-day", { params: { query: { from: "2025-01-02", to: "2026-01-02" } } })).response.status).toBe(200);
    for (const path of ["/v1/reports/tickets-per-day?from=2026-01-01&to=2026-01-02", "/v1/reports/response-times?from=2026-01-01&to=2026-01-02", "/v1/reports/backlog"]) {
      const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${agent.client.tokens.accessToken}` } });
      expect(response.status).toBe(403);
    }
  });
});
