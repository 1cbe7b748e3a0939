// Read markers and unread counts through the API, and typing, presence and read receipts through
// the StreamSignals service on two instances sharing one database (the socket-level tests come
// with the stream itself).
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DocketClient } from "../sdk/index.ts";
import type { PresenceSettings } from "../src/config.ts";
import type { UserPrincipal } from "../src/core/principal.ts";
import { connectDatabase, type DatabaseHandle } from "../src/db/client.ts";
import { createLogger } from "../src/logger.ts";
import { createPresenceService, type PresenceService } from "../src/modules/presence/service.ts";
import type { LiveSignal } from "../src/modules/stream/signals.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { addMember, helpdesk, signUp, type Helpdesk, type Member } from "./support/fixtures.ts";
import { openTicket, ticketPath } from "./support/tickets.ts";

// Fast timings, so that coalescing, expiry and an instance's death take moments; the TTL leaves
// room for a loaded machine (an instance's viewers flapping out would fail the tests).
const FAST: PresenceSettings = { typingCoalesceMs: 300, typingTtlMs: 1_000, presenceRefreshMs: 200, presenceTtlMs: 1_500 };
/** How long a signal may take to cross instances on a busy machine. */
const SOON = { timeout: 10_000 };

let server: TestServer;
let desk: Helpdesk;
let otherAgent: Member;
let first: PresenceService;
let second: PresenceService;
let secondDatabase: DatabaseHandle;
const quiet = createLogger({ level: "error", stream: new Writable({ write: (_c, _e, done) => done() }) });

beforeAll(async () => {
  server = await startServer({ presence: FAST });
  desk = await helpdesk(server);
  otherAgent = await addMember(server, desk.owner, "agent");
  first = server.services.presence;
  // A second API instance's presence, on a connection pool of its own, as another process has.
  secondDatabase = connectDatabase(server.databaseUrl);
  second = createPresenceService({ database: secondDatabase, logger: quiet, settings: FAST });
  await Promise.all([first.ready(), second.ready()]);
});
afterAll(async () => {
  await second.close();
  await secondDatabase.close();
  await server.close();
});

type Someone = { user: { id: string; role: UserPrincipal["role"] } };
/** A socket of this user, as the stream hands it over (tenant: the helpdesk's unless said). */
function viewer(member: Someone, connectionId = "socket-1", tenantId = desk.owner.tenant.id) {
  const principal: UserPrincipal = { kind: "user", tenantId, userId: member.user.id, role: member.user.role, sessionId: "" };
  return { connectionId, principal };
}

async function comment(client: DocketClient, ticketId: string, body: string, internal = false) {
  const created = await client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticketId), body: { body, internal } });
  expect(created.error, JSON.stringify(created.error)).toBeUndefined();
  return created.data!;
}
async function unread(client: DocketClient, ticketId: string): Promise<number> {
  return (await client.GET("/v1/tickets/{ticketId}", ticketPath(ticketId))).data!.unreadCount;
}
async function unreadInList(client: DocketClient, ticketId: string): Promise<number | undefined> {
  return (await client.GET("/v1/tickets", { params: { query: { limit: 100 } } })).data!.data.find((ticket) => ticket.id === ticketId)?.unreadCount;
}
/** Every signal a presence service hands its listeners, from the moment this is called. */
function record(service: PresenceService): LiveSignal[] {
  const signals: LiveSignal[] = [];
  service.onSignal((signal) => signals.push(signal));
  return signals;
}

describe("unread counts on tickets", () => {
  it("count what the caller may see, written by others and not deleted, in GET and in lists", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "VPN drops every hour" });
    await comment(desk.agent.client, ticket.id, "Which client version?");
    const note = await comment(otherAgent.client, ticket.id, "Known issue with 4.2", true);
    await comment(desk.customer.client, ticket.id, "4.2.1");

    // The requester: the agent's public reply (the internal note is not theirs to see, their own is not unread).
    // The agent: the note and the requester's reply. The admin: all three.
    for (const [client, expected] of [[desk.customer.client, 1], [desk.agent.client, 2], [desk.owner.client, 3]] as const) {
      expect(await unread(client, ticket.id)).toBe(expected);
      expect(await unreadInList(client, ticket.id)).toBe(expected);
    }

    await otherAgent.client.DELETE("/v1/tickets/{ticketId}/comments/{commentId}", { params: { path: { ticketId: ticket.id, commentId: note.id } } });
    expect(await unread(desk.agent.client, ticket.id)).toBe(1);
    expect(await unreadInList(desk.owner.client, ticket.id)).toBe(2);
    expect(await unread(desk.customer.client, ticket.id)).toBe(1);

    // Events (and so webhooks and the stream) carry the ticket as it is for everyone: no count.
    const activity = await desk.owner.client.GET("/v1/tickets/{ticketId}/activity", ticketPath(ticket.id));
    const presented = activity.data!.data.filter((event) => event.entity.type === "ticket" && event.data);
    expect(presented.length).toBeGreaterThan(0);
    for (const event of presented) expect(event.data).not.toHaveProperty("unreadCount");
  });

  it("drop once the caller marks a comment read, and ETag revalidation shows the new count", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Screen flickers" });
    const first = await comment(desk.agent.client, ticket.id, "Try another cable");
    await comment(desk.agent.client, ticket.id, "Or another port");

    const read = await desk.customer.client.GET("/v1/tickets/{ticketId}", ticketPath(ticket.id));
    expect(read.data!.unreadCount).toBe(2);
    const etag = read.response.headers.get("etag")!;
    const conditional = () => fetch(`${server.url}/v1/tickets/${ticket.id}`, { headers: { authorization: `Bearer ${desk.customer.client.tokens.accessToken}`, "if-none-match": etag } });
    expect((await conditional()).status).toBe(304);

    const marked = await desk.customer.client.PUT("/v1/tickets/{ticketId}/read-marker", { ...ticketPath(ticket.id), body: { commentId: first.id } });
    expect(marked.data).toEqual({ userId: desk.customer.user.id, commentId: first.id, readAt: expect.any(String) });
    const after = await conditional();
    expect(after.status).toBe(200);
    expect(((await after.json()) as { unreadCount: number }).unreadCount).toBe(1);
    expect(after.headers.get("etag")).not.toBe(etag);
    expect(await unreadInList(desk.customer.client, ticket.id)).toBe(1);

    // The version did not move: a conditional change with the ETag read before still applies.
    const solved = await desk.customer.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { status: "solved" }, headers: { "if-match": etag } });
    expect(solved.response.status).toBe(200);
  });

  it("move an agent's ETag on an internal note, which the requester's ETag does not show", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Keyboard sticky" });
    const etagOf = async (client: DocketClient) => (await client.GET("/v1/tickets/{ticketId}", ticketPath(ticket.id))).response.headers.get("etag");
    const [customerBefore, agentBefore] = [await etagOf(desk.customer.client), await etagOf(desk.agent.client)];
    await comment(otherAgent.client, ticket.id, "Coffee, probably", true);
    expect(await etagOf(desk.customer.client)).toBe(customerBefore);
    expect(await etagOf(desk.agent.client)).not.toBe(agentBefore);
  });
});

describe("read markers", () => {
  it("only move forward, also when marks race, and announce each move once", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Mouse double-clicks" });
    const comments = [];
    for (const body of ["one", "two", "three", "four"]) comments.push(await comment(desk.agent.client, ticket.id, body));
    const receipts = record(second);

    await first.read(viewer(desk.customer), ticket.id, comments[2]!.id);
    expect(await unread(desk.customer.client, ticket.id)).toBe(1);
    await first.read(viewer(desk.customer), ticket.id, comments[0]!.id); // older: nothing happens
    await first.read(viewer(desk.customer), ticket.id, comments[2]!.id); // the same: nothing happens
    expect(await unread(desk.customer.client, ticket.id)).toBe(1);

    await expect.poll(() => receipts.filter((signal) => signal.type === "read" && signal.ticketId === ticket.id).map((signal) => signal.type === "read" && signal.commentId), SOON).toEqual([comments[2]!.id]);

    // Two tabs on two instances marking at once, from no marker: whichever commits last, the later comment stays.
    for (let round = 0; round < 3; round++) {
      const raced = await openTicket(desk.customer.client, { title: `Mouse scrolls backwards ${round}` });
      const [older, newer] = [await comment(desk.agent.client, raced.id, "one"), await comment(desk.agent.client, raced.id, "two")];
      await Promise.all([first.read(viewer(desk.customer, "tab-2"), raced.id, newer.id), second.read(viewer(desk.customer, "tab-3"), raced.id, older.id)]);
      expect(await unread(desk.customer.client, raced.id)).toBe(0);
    }
    expect(receipts.find((signal) => signal.type === "read")).toMatchObject({ tenantId: desk.owner.tenant.id, userId: desk.customer.user.id, internal: false, readAt: expect.any(String) });
  });

  it("are refused for tickets and comments the reader may not see, as not found", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Monitor dead" });
    const note = await comment(desk.agent.client, ticket.id, "Under warranty", true);
    const elsewhere = await openTicket(desk.agent.client, { title: "Another ticket" });
    const stranger = await signUp(server);

    await expect(first.read(viewer(desk.customer), ticket.id, note.id)).rejects.toMatchObject({ status: 404, message: expect.stringContaining(note.id) });
    const agentsOwn = await comment(desk.agent.client, elsewhere.id, "Internal ticket of the agents");
    await expect(first.read(viewer(desk.customer), elsewhere.id, agentsOwn.id)).rejects.toMatchObject({ status: 404, message: expect.stringContaining(elsewhere.id) });
    await expect(first.read(viewer(desk.agent), elsewhere.id, note.id)).rejects.toMatchObject({ status: 404, message: expect.stringContaining(note.id) });
    await expect(first.read(viewer({ user: stranger.admin }, "socket-1", stranger.tenant.id), ticket.id, note.id)).rejects.toMatchObject({ status: 404, message: expect.stringContaining(ticket.id) });

    // The agent may read the internal note: its receipt is marked internal, for the stream to keep from users.
    const receipts = record(first);
    await first.read(viewer(desk.agent), ticket.id, note.id);
    expect(receipts).toContainEqual(expect.objectContaining({ type: "read", commentId: note.id, internal: true }));
  });
});

describe("read markers over REST", () => {
  it("show every reader's receipt, without markers on internal comments for users, and answer a backward mark with the marker as it stands", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Dock not charging" });
    const reply = await comment(desk.agent.client, ticket.id, "Which dock model?");
    const note = await comment(otherAgent.client, ticket.id, "Firmware bug", true);
    const answer = await comment(desk.customer.client, ticket.id, "The USB-C one");
    const receipts = record(second);

    const mark = (client: DocketClient, commentId: string) => client.PUT("/v1/tickets/{ticketId}/read-marker", { ...ticketPath(ticket.id), body: { commentId } });
    await mark(desk.customer.client, reply.id);
    await mark(otherAgent.client, answer.id);
    await mark(desk.agent.client, note.id);
    const backwards = await mark(otherAgent.client, reply.id);
    expect(backwards.data).toMatchObject({ userId: otherAgent.user.id, commentId: answer.id });
    expect((await mark(desk.customer.client, note.id)).response.status).toBe(404);

    const forAgent = await desk.agent.client.GET("/v1/tickets/{ticketId}/read-markers", ticketPath(ticket.id));
    expect(forAgent.data!.data.map((marker) => [marker.userId, marker.commentId]).sort()).toEqual(
      [[desk.customer.user.id, reply.id], [otherAgent.user.id, answer.id], [desk.agent.user.id, note.id]].sort(),
    );
    const forCustomer = await desk.customer.client.GET("/v1/tickets/{ticketId}/read-markers", ticketPath(ticket.id));
    expect(forCustomer.data!.data.map((marker) => marker.userId).sort()).toEqual([desk.customer.user.id, otherAgent.user.id].sort());
    const stranger = await signUp(server);
    expect((await stranger.client.GET("/v1/tickets/{ticketId}/read-markers", ticketPath(ticket.id))).response.status).toBe(404);

    // A mark over REST is a receipt on the live stream too, on every instance.
    await expect.poll(() => receipts.filter((signal) => signal.type === "read" && signal.ticketId === ticket.id).length, SOON).toBe(3);
  });
});

describe("typing", () => {
  it("is coalesced per user and ticket, keeps the last call's expiry, and reaches the other instance", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Printer jams" });
    // A window long enough for five calls on a busy machine.
    const typist = createPresenceService({ database: secondDatabase, logger: quiet, settings: { ...FAST, typingCoalesceMs: 1_500, typingTtlMs: 3_000 } });
    await typist.ready();
    const here = record(typist);
    const there = record(first);
    const typingOn = (signals: LiveSignal[]) => signals.filter((signal) => signal.type === "typing" && signal.ticketId === ticket.id);

    for (let key = 0; key < 5; key++) await typist.typing(viewer(desk.agent), ticket.id, false);
    expect(typingOn(here)).toHaveLength(1);
    // The calls after the first come out once, at the window's end, expiring after the first's.
    await expect.poll(() => typingOn(there).length, SOON).toBe(2);
    const [leading, trailing] = typingOn(there) as Extract<LiveSignal, { type: "typing" }>[];
    expect(leading).toMatchObject({ tenantId: desk.owner.tenant.id, userId: desk.agent.user.id, internal: false });
    expect(leading!.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(Date.parse(trailing!.expiresAt)).toBeGreaterThan(Date.parse(leading!.expiresAt));
    expect(typingOn(here)).toEqual([leading, trailing]);

    // Once the user stops, nothing more is sent: the indicator expires by its expiresAt.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(typingOn(there)).toHaveLength(2);
    await typist.close();

    await second.typing(viewer(otherAgent), ticket.id, true);
    await expect.poll(() => typingOn(there).at(-1), SOON).toMatchObject({ userId: otherAgent.user.id, internal: true });
  });

  it("is refused for a ticket the user may not see, and for an internal note by a user", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Phone cracked" });
    const agents = await openTicket(desk.agent.client, { title: "Agents only" });
    await expect(first.typing(viewer(desk.customer), agents.id, false)).rejects.toMatchObject({ status: 404 });
    await expect(first.typing(viewer(desk.customer), ticket.id, true)).rejects.toMatchObject({ status: 403 });
    const stranger = await signUp(server);
    await expect(first.typing(viewer({ user: stranger.admin }, "socket-1", stranger.tenant.id), ticket.id, false)).rejects.toMatchObject({ status: 404 });
  });
});

describe("presence", () => {
  const viewersOf = (signals: LiveSignal[], ticketId: string) => {
    const last = signals.filter((signal) => signal.type === "presence" && signal.ticketId === ticketId).at(-1);
    return last?.type === "presence" ? last.viewers.map((entry) => `${entry.role}:${entry.userId}`) : undefined;
  };

  it("lists each viewer once on every instance, and follows them leaving", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Laptop slow" });
    const here = record(first);
    const there = record(second);

    first.viewing(viewer(desk.agent, "agent-tab-1"), ticket.id);
    first.viewing(viewer(desk.agent, "agent-tab-2"), ticket.id);
    second.viewing(viewer(desk.customer, "customer-tab"), ticket.id);
    const both = [`agent:${desk.agent.user.id}`, `user:${desk.customer.user.id}`];
    await expect.poll(() => viewersOf(here, ticket.id), SOON).toEqual(both);
    await expect.poll(() => viewersOf(there, ticket.id), SOON).toEqual(both);
    const last = here.filter((signal) => signal.type === "presence").at(-1);
    expect(last).toMatchObject({ tenantId: desk.owner.tenant.id, ticketId: ticket.id, viewers: [{ since: expect.any(String) }, { since: expect.any(String) }] });

    // One of the agent's two tabs closes: the agent is still there.
    first.left(viewer(desk.agent, "agent-tab-1"), ticket.id);
    second.left(viewer(desk.customer, "customer-tab"), ticket.id);
    await expect.poll(() => viewersOf(here, ticket.id), SOON).toEqual([`agent:${desk.agent.user.id}`]);
    await expect.poll(() => viewersOf(there, ticket.id), SOON).toEqual([`agent:${desk.agent.user.id}`]);
    first.left(viewer(desk.agent, "agent-tab-2"), ticket.id);
    await expect.poll(() => viewersOf(there, ticket.id), SOON).toEqual([]);
  });

  it("converges when an instance disappears without a word, and when one shuts down", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Headset crackles" });
    const here = record(first);
    const doomedDatabase = connectDatabase(server.databaseUrl);
    const doomed = createPresenceService({ database: doomedDatabase, logger: quiet, settings: FAST });
    const leaving = createPresenceService({ database: secondDatabase, logger: quiet, settings: FAST });
    await Promise.all([doomed.ready(), leaving.ready()]);

    doomed.viewing(viewer(desk.customer, "on-doomed"), ticket.id);
    leaving.viewing(viewer(otherAgent, "on-leaving"), ticket.id);
    first.viewing(viewer(desk.agent, "here"), ticket.id);
    await expect.poll(() => viewersOf(here, ticket.id)?.length, SOON).toBe(3);

    await leaving.close();
    await expect.poll(() => viewersOf(here, ticket.id)?.length, SOON).toBe(2);

    // The doomed instance loses its database: it can announce nothing any more, like a dead process.
    await doomedDatabase.pool.end();
    await expect.poll(() => viewersOf(here, ticket.id), SOON).toEqual([`agent:${desk.agent.user.id}`]);
    first.left(viewer(desk.agent, "here"), ticket.id);
    await doomed.close();
    await doomedDatabase.prisma.$disconnect();
  });

  it("reaches an instance that starts later, through its hello", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Webcam black" });
    first.viewing(viewer(desk.agent, "early"), ticket.id);
    const late = createPresenceService({ database: secondDatabase, logger: quiet, settings: { ...FAST, presenceRefreshMs: 60_000, presenceTtlMs: 200_000 } });
    const signals = record(late);
    await late.ready();
    await expect.poll(() => viewersOf(signals, ticket.id), SOON).toEqual([`agent:${desk.agent.user.id}`]);
    first.left(viewer(desk.agent, "early"), ticket.id);
    await late.close();
  });
});
