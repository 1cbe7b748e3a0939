// The live stream through real WebSocket clients: who sees what, tickets, resume, lifetime.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { addMember, helpdesk, signUp, type Helpdesk } from "./support/fixtures.ts";
import { openTicket, ticketPath } from "./support/tickets.ts";
import { openStream, refusal, streamUrl, ticketFor, type StreamSocket } from "./support/stream.ts";

let server: TestServer;
let desk: Helpdesk;
const sockets: StreamSocket[] = [];
const open = async (...args: Parameters<typeof openStream> extends [unknown, ...infer Rest] ? Rest : never) => {
  const socket = await openStream(server.url, ...args);
  sockets.push(socket);
  return socket;
};

beforeAll(async () => {
  server = await startServer({ eventFeedPollMs: 200 });
  desk = await helpdesk(server);
});
afterAll(async () => {
  for (const socket of sockets) await socket.close();
  await server.close();
});

describe("connecting", () => {
  it("welcomes a socket opened with a ticket, and a ticket works once", async () => {
    const ticket = await ticketFor(desk.agent.client);
    const { attach } = await import("./support/stream.ts");
    const { default: WebSocket } = await import("ws");
    const socket = await attach(new WebSocket(streamUrl(server.url, ticket)));
    sockets.push(socket);
    expect(socket.welcome).toMatchObject({ type: "welcome", tenantId: desk.owner.tenant.id, user: { id: desk.agent.user.id, role: "agent" }, heartbeatSeconds: 25 });
    const again = await refusal(streamUrl(server.url, ticket));
    expect(again.status).toBe(401);
    expect(again.contentType).toMatch(/^application\/problem\+json/);
  });

  it("takes the access token as a subprotocol and answers docket.v1", async () => {
    const socket = await open(desk.customer.client, "bearer");
    expect(socket.ws.protocol).toBe("docket.v1");
    expect(socket.welcome.user).toEqual({ id: desk.customer.user.id, role: "user" });
  });

  it("refuses before the upgrade without credentials, with bad ones, and answers a plain GET 426", async () => {
    expect((await refusal(streamUrl(server.url))).status).toBe(401);
    expect((await refusal(streamUrl(server.url, "dst_forged"))).status).toBe(401);
    expect((await refusal(streamUrl(server.url), ["docket.v1", "docket.bearer.not-a-token"])).status).toBe(401);
    const plain = await fetch(`${server.url}/v1/stream?ticket=${await ticketFor(desk.agent.client)}`);
    expect(plain.status).toBe(426);
    expect(plain.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  });
});

describe("visibility", () => {
  it("gives an agent the tenant's ticket events and a user only their own ticket, without internal comments; nothing of another tenant", async () => {
    const other = await signUp(server);
    const agent = await open(desk.agent.client);
    const customer = await open(desk.customer.client);
    const outsider = await open(other.client);
    await agent.subscribe("feed", { kind: "tenant" });
    await outsider.subscribe("feed", { kind: "tenant" });

    const mine = await openTicket(desk.customer.client, { title: "My printer" });
    const theirs = await openTicket(desk.owner.client, { title: "Someone else's" });
    await customer.subscribe("mine", { kind: "ticket", ticketId: mine.id });
    customer.send({ type: "subscribe", id: "theirs", topic: { kind: "ticket", ticketId: theirs.id } });
    expect(await customer.next("error", (message) => message.ref === "theirs")).toMatchObject({ code: "not_found" });
    customer.send({ type: "subscribe", id: "feed", topic: { kind: "tenant" } });
    expect(await customer.next("error", (message) => message.ref === "feed")).toMatchObject({ code: "forbidden" });

    await desk.agent.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(mine.id), body: { body: "Internal: replace the fuser", internal: true } });
    await desk.agent.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(mine.id), body: { body: "We are on it" } });
    await other.client.POST("/v1/tickets", { body: { title: "Other tenant's secret" } });

    await agent.next("event", (message) => message.event.type === "comment.created" && (message.event.data as { body?: string } | null)?.body === "We are on it");
    await customer.next("event", (message) => message.event.type === "comment.created");
    await outsider.next("event", (message) => message.event.type === "ticket.created");
    const agentSaw = agent.events("feed");
    expect(agentSaw.map((event) => event.ticketId)).toContain(theirs.id);
    expect(agentSaw.some((event) => (event.data as { body?: string } | null)?.body === "Internal: replace the fuser")).toBe(true);
    expect(JSON.stringify(agent.messages)).not.toContain("Other tenant's secret");

    const customerSaw = customer.events();
    expect(customerSaw.every((event) => event.ticketId === mine.id)).toBe(true);
    expect(JSON.stringify(customer.messages)).not.toContain("Internal: replace the fuser");
    expect(customerSaw.filter((event) => event.type === "comment.created")).toHaveLength(1);
    expect(JSON.stringify(outsider.messages)).not.toContain(mine.id);
  });

  it("gives an admin the whole trail on the tenant feed, and an agent only the tickets' events", async () => {
    const admin = await open(desk.owner.client);
    const agent = await open(desk.agent.client);
    await admin.subscribe("feed", { kind: "tenant" });
    await agent.subscribe("feed", { kind: "tenant" });
    const newcomer = await addMember(server, desk.owner, "agent");
    const ticket = await openTicket(desk.owner.client, { title: "After the newcomer" });
    await admin.next("event", (message) => message.event.type === "ticket.created" && message.event.entity.id === ticket.id);
    await agent.next("event", (message) => message.event.type === "ticket.created" && message.event.entity.id === ticket.id);
    expect(admin.events().some((event) => event.type === "user.created" && event.entity.id === newcomer.user.id)).toBe(true);
    expect(agent.events().every((event) => event.ticketId !== null)).toBe(true);
  });

  it("ends a user's subscription when the ticket is given to another requester", async () => {
    const customer = await open(desk.customer.client);
    const ticket = await openTicket(desk.customer.client, { title: "Soon not mine" });
    await customer.subscribe("t", { kind: "ticket", ticketId: ticket.id });
    const someoneElse = await addMember(server, desk.owner, "user");
    await desk.agent.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { requesterId: someoneElse.user.id } });
    expect(await customer.next("unsubscribed", (message) => message.id === "t")).toMatchObject({ reason: "not_visible" });
  });
});

describe("resume", () => {
  it("replays what was committed while disconnected, in order, then goes live without duplicates", async () => {
    const ticket = await openTicket(desk.owner.client, { title: "Resume me" });
    const first = await open(desk.agent.client);
    await first.subscribe("t", { kind: "ticket", ticketId: ticket.id });
    await desk.agent.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "one" } });
    const seen = await first.next("event", (message) => message.event.type === "comment.created");
    first.ws.terminate();

    for (const body of ["two", "three", "four"]) await desk.agent.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body } });
    const second = await open(desk.agent.client);
    const subscribed = await second.subscribe("t", { kind: "ticket", ticketId: ticket.id }, seen.event.id);
    await desk.agent.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "five" } });
    await second.next("event", (message) => (message.event.data as { body?: string } | null)?.body === "five");
    // Everything after the event seen, and nothing before it: the comments and what they changed,
    // replayed (what this instance had read when it subscribed) or live (what it read since).
    // Background triage adds its ticket.triaged on its own time, which the history and the socket
    // may order differently: every other event must match, in order.
    const mine = (events: readonly { id: string; type: string }[]) => events.filter((event) => event.type !== "ticket.triaged").map((event) => event.id);
    const afterSeenIds = async () => {
      const activity = (await desk.agent.client.GET("/v1/tickets/{ticketId}/activity", { params: { path: { ticketId: ticket.id }, query: { limit: 100 } } })).data!.data;
      return mine(activity.slice(activity.findIndex((event) => event.id === seen.event.id) + 1));
    };
    await expect.poll(async () => (await afterSeenIds()).join() === mine(second.events("t")).join()).toBe(true);
    const bodies = second.events("t").filter((event) => event.type === "comment.created").map((event) => (event.data as { body: string }).body);
    expect(bodies).toEqual(["two", "three", "four", "five"]);
    const ids = second.events("t").map((event) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
    // `subscribed` comes after the replayed events, and live ones after it.
    const types = second.messages.map((message) => message.type);
    expect(types.indexOf("subscribed")).toBe(1 + subscribed.replayed);
  });

  it("tells where a subscription starts, so a client that got no event yet resumes without a gap", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Quiet so far" });
    const first = await open(desk.customer.client);
    const { resumeAfter } = await first.subscribe("t", { kind: "ticket", ticketId: ticket.id });
    expect(resumeAfter).not.toBeNull();
    first.ws.terminate();
    await desk.agent.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "while you were away" } });
    const second = await open(desk.customer.client);
    await second.subscribe("t", { kind: "ticket", ticketId: ticket.id }, resumeAfter!);
    expect((await second.next("event", (message) => message.event.type === "comment.created")).event.data).toMatchObject({ body: "while you were away" });
  });

  it("answers an unknown resume point with an error", async () => {
    const socket = await open(desk.agent.client);
    socket.send({ type: "subscribe", id: "x", topic: { kind: "tenant" }, after: "0192f1a0-0000-7000-8000-000000000009" });
    expect(await socket.next("error", (message) => message.ref === "x")).toMatchObject({ code: "unknown_resume_point" });
  });
});
