// Groups, routing rules and auto-assignment, through the real server: a new ticket is routed by
// the first matching rule, then given to the group's available agent with the skills and the most
// spare room (round-robin among equals); a ticket nobody can take waits in the queue and is
// assigned once capacity frees. The requester sees the assignee, never how it was chosen.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventsOfType } from "./support/events.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { addMember, signUp, type Member, type SignedUpTenant } from "./support/fixtures.ts";
import { openTicket, ticketPath } from "./support/tickets.ts";
import { eventually } from "./support/webhook-receiver.ts";
import type { DocketClient, Schemas } from "../sdk/index.ts";

let server: TestServer;

beforeAll(async () => {
  // A slow backstop poll: assignments must come from the feed's wake-up, not the timer.
  server = await startServer({ eventFeedPollMs: 5_000 });
});
afterAll(async () => {
  await server.close();
});

interface Desk {
  owner: SignedUpTenant;
  customer: Member;
}

async function desk(): Promise<Desk> {
  const owner = await signUp(server);
  return { owner, customer: await addMember(server, owner, "user") };
}

async function agent(owner: SignedUpTenant, settings: Schemas["UserUpdate"] = {}): Promise<Member> {
  const member = await addMember(server, owner, "agent");
  if (Object.keys(settings).length > 0) {
    const { error } = await owner.client.PATCH("/v1/users/{userId}", { params: { path: { userId: member.user.id } }, body: settings });
    expect(error, JSON.stringify(error)).toBeUndefined();
  }
  return member;
}

async function group(owner: SignedUpTenant, members: Member[], name = `Team ${Math.random().toString(36).slice(2, 8)}`): Promise<Schemas["Group"]> {
  const { data, error } = await owner.client.POST("/v1/groups", { body: { name, memberIds: members.map((member) => member.user.id) } });
  expect(error, JSON.stringify(error)).toBeUndefined();
  return data!;
}

async function rule(owner: SignedUpTenant, body: Schemas["RoutingRuleCreate"]): Promise<Schemas["RoutingRule"]> {
  const { data, error } = await owner.client.POST("/v1/routing-rules", { body });
  expect(error, JSON.stringify(error)).toBeUndefined();
  return data!;
}

async function ticket(client: DocketClient, ticketId: string): Promise<Schemas["TicketForCaller"]> {
  return (await client.GET("/v1/tickets/{ticketId}", ticketPath(ticketId))).data!;
}

/** Waits until routing has given the ticket an assignee, and returns it. */
async function assigneeOf(client: DocketClient, ticketId: string): Promise<string> {
  return eventually(async () => {
    const { assigneeId } = await ticket(client, ticketId);
    expect(assigneeId).not.toBeNull();
    return assigneeId!;
  });
}

/** The routing decision recorded for a ticket's queueing, once it is there. */
async function queued(owner: SignedUpTenant, ticketId: string): Promise<Record<string, unknown>> {
  return eventually(async () => {
    const [event] = await eventsOfType(server, owner.client, "ticket.queued", ticketId);
    expect(event).toBeDefined();
    return (event!.after as { decision: Record<string, unknown> }).decision;
  });
}

const solve = (client: DocketClient, ticketId: string) => client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticketId), body: { status: "solved" } });

describe("routing rules", () => {
  it("route by the first matching rule, and assign to the agent with the required skills", async () => {
    const { owner, customer } = await desk();
    const generalist = await agent(owner);
    const billingExpert = await agent(owner, { skills: ["billing"] });
    const team = await group(owner, [generalist, billingExpert]);
    const billing = await rule(owner, { name: "Billing", conditions: { tagsAny: ["billing"] }, actions: { groupId: team.id, requiredSkills: ["billing"], priority: "high" } });
    // Matches too, but comes second: never applied to a billing ticket.
    await rule(owner, { name: "Everything else", conditions: {}, actions: { groupId: team.id, addTags: ["general"] } });

    const invoice = await openTicket(customer.client, { title: "Charged twice", tags: ["billing"] });
    expect(await assigneeOf(owner.client, invoice.id)).toBe(billingExpert.user.id);
    const routed = await ticket(owner.client, invoice.id);
    expect(routed).toMatchObject({ groupId: team.id, priority: "high", tags: ["billing"] });

    const other = await openTicket(customer.client, { title: "Where is the settings page?" });
    await assigneeOf(owner.client, other.id);
    expect(await ticket(owner.client, other.id)).toMatchObject({ groupId: team.id, priority: "normal", tags: ["general"] });

    const [decision] = await eventually(async () => {
      const events = await eventsOfType(server, owner.client, "ticket.routed", invoice.id);
      expect(events).toHaveLength(1);
      return events.map((event) => event.after);
    });
    expect(decision).toMatchObject({ ruleId: billing.id, groupId: team.id, requiredSkills: ["billing"], triaged: true });
    const assigned = await eventually(async () => {
      const [event] = await eventsOfType(server, owner.client, "ticket.assigned", invoice.id);
      expect(event).toBeDefined();
      return event;
    });
    expect(assigned!.actor).toEqual({ type: "system", id: null });
    expect(assigned!.after).toMatchObject({
      assigneeId: billingExpert.user.id,
      decision: { reason: "most_spare_capacity", considered: { members: 2, available: 2, skilled: 1, withRoom: 1 }, candidates: [{ userId: billingExpert.user.id, openTickets: 0, capacity: 10 }] },
    });
  });

  it("keep their order: a rule moved to the top wins, and the others close up", async () => {
    const { owner } = await desk();
    const first = await rule(owner, { name: "A", conditions: {}, actions: { addTags: ["a"] } });
    const second = await rule(owner, { name: "B", conditions: {}, actions: { addTags: ["b"] } });
    const third = await rule(owner, { name: "C", conditions: { channels: ["email"] }, actions: { addTags: ["c"] }, position: 1 });
    const order = async () => (await owner.client.GET("/v1/routing-rules")).data!.data.map((item) => [item.name, item.position]);
    expect(await order()).toEqual([["C", 1], ["A", 2], ["B", 3]]);
    await owner.client.PATCH("/v1/routing-rules/{ruleId}", { params: { path: { ruleId: second.id } }, body: { position: 1 } });
    expect(await order()).toEqual([["B", 1], ["C", 2], ["A", 3]]);
    await owner.client.DELETE("/v1/routing-rules/{ruleId}", { params: { path: { ruleId: third.id } } });
    expect(await order()).toEqual([["B", 1], ["A", 2]]);
    const opened = await openTicket(owner.client, { title: "Tagged by B only" });
    await eventually(async () => expect((await ticket(owner.client, opened.id)).tags).toEqual(["b"]));
    expect(first.position).toBe(1);
  });

  it("refuse a group of another tenant, and a rule without actions", async () => {
    const { owner } = await desk();
    const elsewhere = await desk();
    const theirs = await group(elsewhere.owner, []);
    const foreign = await owner.client.POST("/v1/routing-rules", { body: { name: "X", conditions: {}, actions: { groupId: theirs.id } } });
    expect(foreign.response.status).toBe(400);
    expect(foreign.error).toMatchObject({ errors: [{ pointer: "/actions/groupId" }] });
    expect((await owner.client.POST("/v1/routing-rules", { body: { name: "X", conditions: {}, actions: {} } })).response.status).toBe(400);
    expect((await owner.client.GET("/v1/groups/{groupId}", { params: { path: { groupId: theirs.id } } })).response.status).toBe(404);
  });
});

describe("auto-assignment", () => {
  it("gives the ticket to the agent with the most spare capacity", async () => {
    const { owner, customer } = await desk();
    const busy = await agent(owner, { capacity: 5 });
    const idle = await agent(owner, { capacity: 3 });
    const team = await group(owner, [busy, idle]);
    for (let i = 0; i < 3; i++) await openTicket(owner.client, { title: `Busy ${i}`, assigneeId: busy.user.id });
    // busy: 5 - 3 = 2 spare; idle: 3 - 0 = 3 spare.
    const fresh = await openTicket(customer.client, { title: "Help" });
    await owner.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(fresh.id), body: { groupId: team.id } });
    expect(await assigneeOf(owner.client, fresh.id)).toBe(idle.user.id);
  });

  it("takes turns between equally loaded agents (round-robin)", async () => {
    const { owner, customer } = await desk();
    const one = await agent(owner);
    const two = await agent(owner);
    const team = await group(owner, [one, two]);
    const first = await openTicket(customer.client, { title: "First" });
    await owner.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(first.id), body: { groupId: team.id } });
    const firstAssignee = await assigneeOf(owner.client, first.id);
    await solve(owner.client, first.id);
    // Both have no open ticket again: the one who has waited longer gets the next.
    const second = await openTicket(customer.client, { title: "Second" });
    await owner.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(second.id), body: { groupId: team.id } });
    const secondAssignee = await assigneeOf(owner.client, second.id);
    expect(secondAssignee).not.toBe(firstAssignee);
    const assigned = await eventually(async () => {
      const [event] = await eventsOfType(server, owner.client, "ticket.assigned", second.id);
      expect(event).toBeDefined();
      return event!;
    });
    expect((assigned.after as { decision: { reason: string } }).decision.reason).toBe("round_robin_tie");
  });

  it("skips agents who are away or offline, and spreads a burst evenly", async () => {
    const { owner, customer } = await desk();
    const agents = [await agent(owner), await agent(owner), await agent(owner)];
    const away = await agent(owner, { availability: "away" });
    const team = await group(owner, [...agents, away]);
    await rule(owner, { name: "All", conditions: {}, actions: { groupId: team.id } });
    const tickets = await Promise.all(Array.from({ length: 9 }, (_, i) => openTicket(customer.client, { title: `Burst ${i}` })));
    const assignees = await Promise.all(tickets.map((item) => assigneeOf(owner.client, item.id)));
    const counts = new Map<string, number>();
    for (const id of assignees) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(agents.map((member) => member.user.id).sort());
    expect([...counts.values()]).toEqual([3, 3, 3]);
  });
});

describe("the group's queue", () => {
  it("holds a ticket nobody can take, and assigns it when capacity frees", async () => {
    const { owner, customer } = await desk();
    const solo = await agent(owner, { capacity: 1 });
    const team = await group(owner, [solo]);
    await rule(owner, { name: "All", conditions: {}, actions: { groupId: team.id } });
    const first = await openTicket(customer.client, { title: "First" });
    expect(await assigneeOf(owner.client, first.id)).toBe(solo.user.id);
    const waiting = await openTicket(customer.client, { title: "Second" });
    expect(await queued(owner, waiting.id)).toMatchObject({ reason: "all_at_capacity", candidates: [], considered: { members: 1, available: 1, skilled: 1, withRoom: 0 } });
    expect((await ticket(owner.client, waiting.id)).assigneeId).toBeNull();

    await solve(solo.client, first.id);
    expect(await assigneeOf(owner.client, waiting.id)).toBe(solo.user.id);
  });

  it("drains, most urgent first, when an agent comes online, capacity is raised or a member joins", async () => {
    const { owner, customer } = await desk();
    const later = await agent(owner, { availability: "offline", capacity: 1 });
    const team = await group(owner, [later]);
    await rule(owner, { name: "All", conditions: {}, actions: { groupId: team.id } });
    const low = await openTicket(customer.client, { title: "Low", priority: "low" });
    const urgent = await openTicket(customer.client, { title: "Urgent", priority: "urgent" });
    const normal = await openTicket(customer.client, { title: "Normal" });
    for (const item of [low, urgent, normal]) expect(await queued(owner, item.id)).toMatchObject({ reason: "no_available_member" });

    // The agent goes online themself: room for one, and the urgent ticket takes it.
    await later.client.PATCH("/v1/users/{userId}", { params: { path: { userId: later.user.id } }, body: { availability: "online" } });
    expect(await assigneeOf(owner.client, urgent.id)).toBe(later.user.id);
    // Raising capacity makes room for the next, by priority (normal before low).
    await owner.client.PATCH("/v1/users/{userId}", { params: { path: { userId: later.user.id } }, body: { capacity: 2 } });
    expect(await assigneeOf(owner.client, normal.id)).toBe(later.user.id);
    expect((await ticket(owner.client, low.id)).assigneeId).toBeNull();
    // A new member takes the rest.
    const joiner = await agent(owner);
    await owner.client.PATCH("/v1/groups/{groupId}", { params: { path: { groupId: team.id } }, body: { memberIds: [later.user.id, joiner.user.id] } });
    expect(await assigneeOf(owner.client, low.id)).toBe(joiner.user.id);
  });

  it("frees capacity when a ticket is reassigned or deleted", async () => {
    const { owner, customer } = await desk();
    const solo = await agent(owner, { capacity: 1 });
    const other = await agent(owner);
    const team = await group(owner, [solo]);
    await rule(owner, { name: "All", conditions: {}, actions: { groupId: team.id } });
    const first = await openTicket(customer.client, { title: "First" });
    await assigneeOf(owner.client, first.id);
    const second = await openTicket(customer.client, { title: "Second" });
    const third = await openTicket(customer.client, { title: "Third" });
    await queued(owner, third.id);
    // Handed to someone outside the group: solo has room again.
    await owner.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(first.id), body: { assigneeId: other.user.id } });
    expect(await assigneeOf(owner.client, second.id)).toBe(solo.user.id);
    await owner.client.DELETE("/v1/tickets/{ticketId}", ticketPath(second.id));
    expect(await assigneeOf(owner.client, third.id)).toBe(solo.user.id);
  });

  it("needs the skills: a ticket nobody skilled can take waits while others are assigned", async () => {
    const { owner, customer } = await desk();
    const plain = await agent(owner);
    const team = await group(owner, [plain]);
    await rule(owner, { name: "German", conditions: { tagsAny: ["de"] }, actions: { groupId: team.id, requiredSkills: ["german"] } });
    await rule(owner, { name: "All", conditions: {}, actions: { groupId: team.id } });
    const german = await openTicket(customer.client, { title: "Hallo", tags: ["de"] });
    expect(await queued(owner, german.id)).toMatchObject({ reason: "no_skilled_member", requiredSkills: ["german"] });
    const english = await openTicket(customer.client, { title: "Hello" });
    expect(await assigneeOf(owner.client, english.id)).toBe(plain.user.id);
    // Learning the skill drains the queue like freed capacity does.
    await owner.client.PATCH("/v1/users/{userId}", { params: { path: { userId: plain.user.id } }, body: { skills: ["german"] } });
    expect(await assigneeOf(owner.client, german.id)).toBe(plain.user.id);
  });
});

describe("what the requester sees", () => {
  it("the assignee, and nothing of routing: no groups, rules, decisions or candidates", async () => {
    const { owner, customer } = await desk();
    const solo = await agent(owner, { capacity: 1, skills: ["vip"] });
    const team = await group(owner, [solo]);
    await rule(owner, { name: "All", conditions: {}, actions: { groupId: team.id, requiredSkills: ["vip"] } });
    const mine = await openTicket(customer.client, { title: "Mine" });
    const assigneeId = await assigneeOf(customer.client, mine.id);
    expect(assigneeId).toBe(solo.user.id);
    const waiting = await openTicket(customer.client, { title: "Waiting" });
    await queued(owner, waiting.id);

    for (const item of [mine, waiting]) {
      const activity = (await customer.client.GET("/v1/tickets/{ticketId}/activity", { params: { path: { ticketId: item.id }, query: { limit: 100 } } })).data!.data;
      expect(activity.map((event) => event.type)).not.toEqual(expect.arrayContaining(["ticket.routed"]));
      expect(activity.map((event) => event.type)).not.toContain("ticket.queued");
      expect(activity.map((event) => event.type)).not.toContain("ticket.assigned");
      const text = JSON.stringify(activity);
      for (const word of ["decision", "candidates", "requiredSkills", "vip", "considered"]) expect(text).not.toContain(word);
    }
    // Staff see the same tickets' routing.
    const staffActivity = (await owner.client.GET("/v1/tickets/{ticketId}/activity", { params: { path: { ticketId: waiting.id }, query: { limit: 100 } } })).data!.data;
    expect(staffActivity.map((event) => event.type)).toEqual(expect.arrayContaining(["ticket.routed", "ticket.queued"]));

    expect((await customer.client.GET("/v1/groups")).response.status).toBe(403);
    expect((await customer.client.GET("/v1/routing-rules")).response.status).toBe(403);
    expect((await customer.client.GET("/v1/macros")).response.status).toBe(403);
    // A requester never sets the group.
    expect((await customer.client.POST("/v1/tickets", { body: { title: "Mine", groupId: team.id } })).response.status).toBe(403);
    expect((await customer.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(mine.id), body: { groupId: null } })).response.status).toBe(403);
  });
});

describe("groups", () => {
  it("are managed by admins: members must be staff, names are unique, and a group with tickets stays", async () => {
    const { owner, customer } = await desk();
    const member = await agent(owner);
    const team = await group(owner, [member], "Support");
    expect(team.memberIds).toEqual([member.user.id]);
    expect((await owner.client.POST("/v1/groups", { body: { name: "Support" } })).response.status).toBe(409);
    const notStaff = await owner.client.PATCH("/v1/groups/{groupId}", { params: { path: { groupId: team.id } }, body: { memberIds: [customer.user.id] } });
    expect(notStaff.response.status).toBe(400);
    expect((await member.client.GET("/v1/groups")).data!.data.map((item) => item.name)).toEqual(["Support"]);
    expect((await member.client.POST("/v1/groups", { body: { name: "Mine" } })).response.status).toBe(403);

    const held = await openTicket(owner.client, { title: "Held", groupId: team.id });
    const path = { params: { path: { groupId: team.id } } };
    expect((await owner.client.DELETE("/v1/groups/{groupId}", path)).response.status).toBe(409);
    await owner.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(held.id), body: { groupId: null } });
    expect((await owner.client.DELETE("/v1/groups/{groupId}", path)).response.status).toBe(204);
    expect((await owner.client.GET("/v1/groups/{groupId}", path)).response.status).toBe(404);
  });
});
