// SLA policies through the real server: configuration, each ticket's clocks (against the
// minute-by-minute reference on random timelines, with the server's SLA clock moved to each step),
// warnings and breaches fired by the timer worker, the nextBreachAt list, what requesters see,
// and the attainment report.
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { eventsOfType } from "./support/events.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { helpdesk, type Helpdesk } from "./support/fixtures.ts";
import { openTicket, ticketPath } from "./support/tickets.ts";
import { eventually } from "./support/webhook-receiver.ts";
import { referenceSla } from "./support/sla-reference.ts";
import { eventsOf, timelines, type Timeline } from "./support/sla-timelines.ts";
import type { DocketClient, Schemas } from "../sdk/index.ts";

/** The server's SLA clock: fixed at `at`, else the system clock. */
const clock: { at?: number } = {};
let server: TestServer;

beforeAll(async () => {
  server = await startServer({}, { now: () => clock.at ?? Date.now() });
});

afterAll(async () => {
  await server?.close();
});

const iso = (ms: number) => new Date(ms).toISOString();
const MINUTE = 60_000;

async function createPolicy(client: DocketClient, body: Schemas["SlaPolicyInput"]): Promise<Schemas["SlaPolicy"]> {
  const { data, error } = await client.POST("/v1/sla-policies", { body });
  expect(error, JSON.stringify(error)).toBeUndefined();
  return data!;
}

async function slaOf(client: DocketClient, ticketId: string) {
  const { data, error } = await client.GET("/v1/tickets/{ticketId}", ticketPath(ticketId));
  expect(error, JSON.stringify(error)).toBeUndefined();
  return data!;
}

describe("configuration", () => {
  let desk: Helpdesk;
  beforeAll(async () => {
    clock.at = undefined;
    desk = await helpdesk(server);
  });

  it("lets admins manage schedules and policies, agents read them, and checks what they are given", async () => {
    const admin = desk.owner.client;
    const bad = await admin.POST("/v1/schedules", { body: { name: "x", timeZone: "Mars/Olympus", weeklyHours: [{ day: "monday", start: "10:00", end: "09:00" }] } });
    expect(bad.response.status).toBe(400);
    expect(bad.error!.errors!.map((error) => error.pointer)).toEqual(["/timeZone", "/weeklyHours/0/end"]);
    const overlap = await admin.POST("/v1/schedules", {
      body: { name: "x", timeZone: "Europe/Paris", weeklyHours: [{ day: "monday", start: "09:00", end: "12:00" }, { day: "monday", start: "11:00", end: "13:00" }] },
    });
    expect(overlap.response.status).toBe(400);

    const schedule = await admin.POST("/v1/schedules", {
      body: { name: "Paris office", timeZone: "Europe/Paris", weeklyHours: [{ day: "monday", start: "09:00", end: "12:00" }, { day: "monday", start: "13:00", end: "17:00" }], holidays: ["2026-12-25"] },
    });
    expect(schedule.response.status).toBe(201);
    const noSchedule = await admin.POST("/v1/sla-policies", { body: { name: "x", targets: { urgent: { firstReply: { minutes: 60, businessHours: true } } } } });
    expect(noSchedule.response.status).toBe(400);
    expect(noSchedule.error!.errors![0]!.pointer).toBe("/targets/urgent/firstReply/businessHours");

    const first = await createPolicy(admin, { name: "Urgent", conditions: { priority: ["urgent"] }, targets: { urgent: { firstReply: { minutes: 60, businessHours: true } } }, scheduleId: schedule.data!.id });
    const second = await createPolicy(admin, { name: "Everything else", targets: { normal: { resolution: { minutes: 600 } } } });
    expect([first.position, second.position]).toEqual([0, 1]);

    expect((await desk.agent.client.GET("/v1/sla-policies")).data!.data.map((policy) => policy.name)).toEqual(["Urgent", "Everything else"]);
    expect((await desk.agent.client.POST("/v1/sla-policies", { body: { name: "x", targets: {} } })).response.status).toBe(403);
    expect((await desk.customer.client.GET("/v1/schedules")).response.status).toBe(403);

    const inUse = await admin.DELETE("/v1/schedules/{scheduleId}", { params: { path: { scheduleId: schedule.data!.id } } });
    expect(inUse.response.status).toBe(409);
    const moved = await admin.PATCH("/v1/sla-policies/{policyId}", { params: { path: { policyId: second.id } }, body: { position: 0 } });
    expect(moved.data!.position).toBe(0);
    // Moved before the policy that held its place.
    expect((await admin.GET("/v1/sla-policies")).data!.data.map((policy) => [policy.name, policy.position])).toEqual([
      ["Everything else", 0],
      ["Urgent", 1],
    ]);
    expect((await admin.DELETE("/v1/sla-policies/{policyId}", { params: { path: { policyId: first.id } } })).response.status).toBe(204);
    expect((await admin.DELETE("/v1/schedules/{scheduleId}", { params: { path: { scheduleId: schedule.data!.id } } })).response.status).toBe(204);
    expect((await admin.GET("/v1/sla-policies/{policyId}", { params: { path: { policyId: first.id } } })).response.status).toBe(404);
  });
});

describe("which policy applies", () => {
  let desk: Helpdesk;
  beforeAll(async () => {
    clock.at = undefined;
    desk = await helpdesk(server);
  });

  it("is the first that matches, chosen again when the ticket's group, tags or priority change, routing rules included", async () => {
    const admin = desk.owner.client;
    const group = (await admin.POST("/v1/groups", { body: { name: "VIP desk" } })).data!;
    const vip = await createPolicy(admin, { name: "VIP", conditions: { groupId: [group.id] }, targets: { normal: { firstReply: { minutes: 30 } }, high: { firstReply: { minutes: 10 } } } });
    const tagged = await createPolicy(admin, { name: "Billing", conditions: { tags: ["Billing"] }, targets: { normal: { firstReply: { minutes: 120 } } } });
    const rest = await createPolicy(admin, { name: "Everyone else", targets: { normal: { firstReply: { minutes: 600 } } } });
    const wrongGroup = await admin.POST("/v1/sla-policies", { body: { name: "x", conditions: { groupId: [crypto.randomUUID()] }, targets: {} } });
    expect(wrongGroup.response.status).toBe(400);

    const ticket = await openTicket(desk.agent.client, { title: "Invoice wrong" });
    const chosen = async () => {
      const shown = await slaOf(desk.agent.client, ticket.id);
      return { policyId: shown.sla?.policyId, minutes: shown.sla?.metrics.map((metric) => metric.targetMinutes) };
    };
    expect(await chosen()).toEqual({ policyId: rest.id, minutes: [600] });
    await desk.agent.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { tags: ["billing"] } });
    expect(await chosen()).toEqual({ policyId: tagged.id, minutes: [120] });
    await desk.agent.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { groupId: group.id } });
    expect(await chosen()).toEqual({ policyId: vip.id, minutes: [30] });
    await desk.agent.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { priority: "high" } });
    expect(await chosen()).toEqual({ policyId: vip.id, minutes: [10] });

    // A routing rule puts new tickets in the group: the router's change chooses the policy too.
    expect((await admin.POST("/v1/routing-rules", { body: { name: "All to VIP", conditions: {}, actions: { groupId: group.id } } })).response.status).toBe(201);
    const routed = await openTicket(desk.customer.client, { title: "Routed" });
    await eventually(async () => expect((await slaOf(desk.agent.client, routed.id)).sla?.policyId).toBe(vip.id));
  });
});

describe("a ticket's clocks", () => {
  let desk: Helpdesk;
  let policy: Schemas["SlaPolicy"];
  let schedule: Schemas["Schedule"];
  beforeAll(async () => {
    desk = await helpdesk(server);
    schedule = (await desk.owner.client.POST("/v1/schedules", { body: { name: "Office", timeZone: "UTC", weeklyHours: [] } })).data!;
    policy = await createPolicy(desk.owner.client, { name: "All", targets: { normal: { firstReply: { minutes: 60 } } }, scheduleId: schedule.id, warningMinutes: 0 });
  });
  afterAll(() => {
    clock.at = undefined;
  });

  it("are shown to staff and not to the requester, whom Zendesk shows nothing of SLAs", async () => {
    clock.at = undefined;
    const ticket = await openTicket(desk.customer.client, { title: "Where is my parcel?" });
    const seen = await slaOf(desk.agent.client, ticket.id);
    expect(seen.sla!.policyId).toBe(policy.id);
    expect(seen.sla!.metrics).toMatchObject([{ metric: "firstReply", cycle: 1, status: "active", targetMinutes: 60, businessHours: false }]);
    expect(seen.nextBreachAt).toBe(seen.sla!.metrics[0]!.breachAt);
    const own = await slaOf(desk.customer.client, ticket.id);
    expect("sla" in own).toBe(false);
    expect("nextBreachAt" in own).toBe(false);
    const list = await desk.customer.client.GET("/v1/tickets");
    expect(list.data!.data.every((shown) => !("sla" in shown))).toBe(true);
    expect((await desk.customer.client.GET("/v1/tickets", { params: { query: { sort: "nextBreachAt" } } })).response.status).toBe(403);

    // An internal note is no reply; a public one by an agent is.
    await desk.agent.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "Checking with the courier", internal: true } });
    expect((await slaOf(desk.agent.client, ticket.id)).sla!.metrics[0]!.status).toBe("active");
    await desk.agent.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "It ships today" } });
    const replied = await slaOf(desk.agent.client, ticket.id);
    expect(replied.sla!.metrics[0]).toMatchObject({ status: "fulfilled", breachAt: null });
    expect(replied.nextBreachAt).toBeNull();
  });

  it("agree with the minute-by-minute reference on random timelines (zones, DST, holidays, pauses)", async () => {
    await fc.assert(
      fc.asyncProperty(timelines, async (timeline: Timeline) => {
        await desk.owner.client.PATCH("/v1/schedules/{scheduleId}", { params: { path: { scheduleId: schedule.id } }, body: timeline.schedule as Schemas["ScheduleUpdate"] });
        const updated = await desk.owner.client.PATCH("/v1/sla-policies/{policyId}", { params: { path: { policyId: policy.id } }, body: { targets: { normal: timeline.targets } } });
        expect(updated.error, JSON.stringify(updated.error)).toBeUndefined();
        const { events, performed } = eventsOf(timeline);
        clock.at = timeline.createdAt;
        const ticket = await openTicket(desk.customer.client, { title: "Timeline" });
        for (const { at, action } of performed) {
          clock.at = at;
          const done =
            action.kind === "status"
              ? await desk.agent.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { status: action.to } })
              : await (action.kind === "agent" ? desk.agent : desk.customer).client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: action.kind } });
          expect(done.error, JSON.stringify(done.error)).toBeUndefined();
        }
        clock.at = timeline.now;
        const shown = (await slaOf(desk.agent.client, ticket.id)).sla!.metrics.map((state) => ({
          metric: state.metric,
          cycle: state.cycle,
          status: state.status,
          breachAt: state.breachAt === null ? null : Date.parse(state.breachAt),
          fulfilledAt: state.fulfilledAt === null ? null : Date.parse(state.fulfilledAt),
          elapsedSeconds: state.elapsedSeconds,
        }));
        expect(shown).toEqual(referenceSla(events, timeline.targets, timeline.schedule, timeline.now));
      }),
      { numRuns: 15, endOnFailure: true },
    );
  }, 300_000);
});

describe("warnings and breaches", () => {
  let desk: Helpdesk;
  let urgent: Schemas["SlaPolicy"];
  const since = new Date(Date.now() - 60 * MINUTE);
  beforeAll(async () => {
    clock.at = undefined;
    desk = await helpdesk(server);
    urgent = await createPolicy(desk.owner.client, { name: "Urgent", conditions: { priority: ["urgent"] }, targets: { urgent: { firstReply: { minutes: 2 } } }, warningMinutes: 1 });
    await createPolicy(desk.owner.client, { name: "High", conditions: { priority: ["high"] }, targets: { high: { firstReply: { minutes: 3 } } }, warningMinutes: 1 });
  });
  afterAll(() => {
    clock.at = undefined;
  });

  it("fire on time from timers, once per cycle, never for a target met in time, and only staff see them", async () => {
    // The SLA clock stands still, then jumps: each timer fires when the clock reaches it, whatever
    // the machine's load. Warnings come a minute before each breach.
    const opened = Date.now();
    clock.at = opened;
    const late = await openTicket(desk.customer.client, { title: "Site down", priority: "urgent" }); // first reply due in 2 minutes
    const answered = await openTicket(desk.customer.client, { title: "Site slow", priority: "urgent" });
    const warned = await openTicket(desk.customer.client, { title: "Login flaky", priority: "high" }); // due in 3 minutes
    await desk.agent.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(answered.id), body: { body: "Looking now" } });
    await desk.agent.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(late.id), body: { assigneeId: desk.agent.user.id } });
    const breachAt = (await slaOf(desk.agent.client, late.id)).nextBreachAt!;
    expect(breachAt).toBe(iso(opened + 2 * MINUTE));

    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await eventsOfType(server, desk.owner.client, "sla.warning", late.id)).toHaveLength(0);
    clock.at = opened + 61_000;
    await eventually(async () => expect(await eventsOfType(server, desk.owner.client, "sla.warning", late.id)).toHaveLength(1));
    expect(await eventsOfType(server, desk.owner.client, "sla.breached", late.id)).toHaveLength(0);
    expect(await eventsOfType(server, desk.owner.client, "sla.warning", warned.id)).toHaveLength(0);

    clock.at = opened + 121_000;
    const [breach] = await eventually(async () => {
      const found = await eventsOfType(server, desk.owner.client, "sla.breached", late.id);
      expect(found).toHaveLength(1);
      return found;
    });
    expect(breach!.after).toEqual({ metric: "firstReply", cycle: 1, policyId: urgent.id, breachAt });
    expect(breach!.actor.type).toBe("system");
    await eventually(async () => expect(await eventsOfType(server, desk.owner.client, "sla.warning", warned.id)).toHaveLength(1));

    // Past every due moment: still one of each, and nothing breached for the answered ticket.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await eventsOfType(server, desk.owner.client, "sla.breached", late.id)).toHaveLength(1);
    expect(await eventsOfType(server, desk.owner.client, "sla.warning", late.id)).toHaveLength(1);
    expect(await eventsOfType(server, desk.owner.client, "sla.breached", answered.id)).toHaveLength(0);
    expect((await slaOf(desk.agent.client, late.id)).sla!.metrics[0]!.status).toBe("breached");

    // The assignee is notified; the requester is not, and their activity has no SLA events (staff's has).
    await eventually(async () => {
      const inbox = await desk.agent.client.GET("/v1/notifications");
      expect(inbox.data!.data.filter((notification) => notification.eventType === "sla.breached" && notification.ticketId === late.id)).toMatchObject([{ reason: "assigned", summary: expect.stringContaining("firstReply target was breached") }]);
    });
    const requesterInbox = await desk.customer.client.GET("/v1/notifications");
    expect(requesterInbox.data!.data.map((notification) => notification.eventType)).not.toContain("sla.breached");
    const theirs = await desk.customer.client.GET("/v1/tickets/{ticketId}/activity", ticketPath(late.id));
    expect(theirs.data!.data.map((event) => event.type)).not.toContain("sla.breached");
    const staff = await desk.agent.client.GET("/v1/tickets/{ticketId}/activity", ticketPath(late.id));
    expect(staff.data!.data.map((event) => event.type)).toContain("sla.breached");
  }, 60_000);

  it("count in the attainment report, per policy and metric", async () => {
    const until = new Date(Date.now() + 60 * MINUTE);
    const { data, error } = await desk.owner.client.GET("/v1/reports/sla-attainment", { params: { query: { from: since.toISOString(), to: until.toISOString() } } });
    expect(error, JSON.stringify(error)).toBeUndefined();
    expect(data!.data).toEqual([{ policyId: urgent.id, policyName: "Urgent", metric: "firstReply", achieved: 1, breached: 1, attainment: 50 }]);
    expect((await desk.agent.client.GET("/v1/reports/sla-attainment", { params: { query: { from: since.toISOString(), to: until.toISOString() } } })).response.status).toBe(403);
    const backwards = await desk.owner.client.GET("/v1/reports/sla-attainment", { params: { query: { from: until.toISOString(), to: since.toISOString() } } });
    expect(backwards.response.status).toBe(400);
  });
});

describe("the ticket list by nextBreachAt", () => {
  let desk: Helpdesk;
  const tickets: Schemas["TicketForCaller"][] = [];
  beforeAll(async () => {
    clock.at = undefined;
    desk = await helpdesk(server);
    await createPolicy(desk.owner.client, {
      name: "By priority",
      targets: { urgent: { firstReply: { minutes: 10 } }, high: { firstReply: { minutes: 60 } }, normal: { resolution: { minutes: 240 } } },
      warningMinutes: 0,
    });
    for (const priority of ["normal", "low", "urgent", "high", "urgent", "normal", "low", "high", "urgent"] as const) {
      const ticket = await openTicket(desk.agent.client, { title: `A ${priority} one`, priority });
      tickets.push(await slaOf(desk.agent.client, ticket.id));
    }
    // Solved: no next breach.
    await desk.agent.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(tickets[2]!.id), body: { status: "solved" } });
    tickets[2] = await slaOf(desk.agent.client, tickets[2]!.id);
  });

  async function all(query: { sort: "nextBreachAt" | "-nextBreachAt"; breachBefore?: string }): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const { data, error } = await desk.agent.client.GET("/v1/tickets", { params: { query: { ...query, limit: 2, cursor } } });
      expect(error, JSON.stringify(error)).toBeUndefined();
      ids.push(...data!.data.map((ticket) => ticket.id));
      cursor = data!.nextCursor ?? undefined;
    } while (cursor);
    return ids;
  }

  it("sorts by the next breach, soonest first, then the tickets without one, across pages", async () => {
    const due = tickets.filter((ticket) => ticket.nextBreachAt !== null).sort((x, y) => x.nextBreachAt!.localeCompare(y.nextBreachAt!) || x.id.localeCompare(y.id));
    const none = tickets.filter((ticket) => ticket.nextBreachAt === null).sort((x, y) => x.id.localeCompare(y.id));
    expect(due.map((ticket) => ticket.priority)).toEqual(["urgent", "urgent", "high", "high", "normal", "normal"]);
    expect(await all({ sort: "nextBreachAt" })).toEqual([...due, ...none].map((ticket) => ticket.id));
    expect(await all({ sort: "-nextBreachAt" })).toEqual([...due.reverse(), ...none.reverse()].map((ticket) => ticket.id));
  });

  it("filters to the tickets breaching before a time", async () => {
    const before = iso(Date.now() + 30 * MINUTE);
    const urgentOpen = tickets.filter((ticket) => ticket.nextBreachAt != null && ticket.nextBreachAt < before).map((ticket) => ticket.id);
    expect(urgentOpen).toHaveLength(2);
    expect((await all({ sort: "nextBreachAt", breachBefore: before })).sort()).toEqual(urgentOpen.sort());
  });
});
