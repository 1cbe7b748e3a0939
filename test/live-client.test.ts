// The SDK's live client against the real server over real sockets (Node's WebSocket global, the
// same API browsers have): it subscribes and receives typed events, survives a server restart
// and a dropped connection with nothing lost or repeated, and stops for good once its session is
// revoked.
import { Writable } from "node:stream";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../src/app.ts";
import { createServices, type Services } from "../src/services.ts";
import { createLogger } from "../src/logger.ts";
import { createDocketClient, createLiveClient, type DocketClient, type LiveClient, type LiveEvent, type LiveStatus } from "../sdk/index.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { addMember, signUp, PASSWORD, type SignedUpTenant } from "./support/fixtures.ts";

// Typing, presence and read receipts come from src/modules/presence (a helper of its own builds
// it); until it is merged the stream runs with no signals and there is nothing to receive.

let server: TestServer;
const cleanups: Array<() => Promise<unknown> | unknown> = [];

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await server.close();
});

/** Another instance of the API on the same database, on `port` (0: any). */
async function startInstance(port = 0): Promise<{ app: FastifyInstance; services: Services; url: string; port: number }> {
  const logger = createLogger({ level: "warn", stream: new Writable({ write: (_chunk, _encoding, done) => done() }) });
  const services = createServices({ config: server.config, database: server.database, logger });
  const app = await buildApp({ config: server.config, logger, services });
  await app.listen({ host: "127.0.0.1", port });
  const bound = (app.server.address() as AddressInfo).port;
  return { app, services, url: `http://127.0.0.1:${bound}`, port: bound };
}

function live(client: DocketClient): { live: LiveClient; statuses: LiveStatus[] } {
  // Short backoff: the test waits for reconnects, not for production pacing.
  const liveClient = createLiveClient(client, { minDelayMs: 50, maxDelayMs: 500 });
  const statuses: LiveStatus[] = [];
  liveClient.on("status", (status) => statuses.push(status));
  cleanups.push(() => liveClient.close());
  return { live: liveClient, statuses };
}

async function createTicket(owner: SignedUpTenant, title = "Printer on fire"): Promise<string> {
  const created = await owner.client.POST("/v1/tickets", { body: { title } });
  expect(created.response.status).toBe(201);
  return created.data!.id;
}

async function comment(client: DocketClient, ticketId: string, body: string): Promise<string> {
  const posted = await client.POST("/v1/tickets/{ticketId}/comments", { params: { path: { ticketId } }, body: { body } });
  expect(posted.error, JSON.stringify(posted.error)).toBeUndefined();
  return posted.data!.id;
}

/** The types of what people did: background triage's ticket.triaged (staff only) comes on its own time. */
const typesOf = (events: LiveEvent[]) => events.map((event) => event.type).filter((type) => type !== "ticket.triaged");

const commentBodies = (events: LiveEvent[]) =>
  events.filter((event) => event.type === "comment.created").map((event) => (event.data as { body: string } | null)?.body);

describe("the live client", () => {
  it("receives typed events of the tenant and of a ticket once the subscription is live", async () => {
    const owner = await signUp(server);
    const { live: client } = live(owner.client);
    const tenantEvents: LiveEvent[] = [];
    const tenant = client.subscribe({ kind: "tenant" }, { onEvent: (event) => tenantEvents.push(event) });
    await tenant.live;
    expect(client.status.state).toBe("open");

    const ticketId = await createTicket(owner, "Screen flickers");
    // Once the feed has passed the ticket's creation, a ticket subscription without `after` starts
    // after it: what it receives is what comes next.
    await expect.poll(() => typesOf(tenantEvents)).toEqual(["ticket.created"]);
    const ticketEvents: LiveEvent[] = [];
    await client.subscribe({ kind: "ticket", ticketId }, { onEvent: (event) => ticketEvents.push(event) }).live;
    const commentId = await comment(owner.client, ticketId, "Which screen?");

    await expect.poll(() => typesOf(ticketEvents)).toEqual(["comment.created"]);
    expect(ticketEvents.find((event) => event.type === "comment.created")).toMatchObject({ ticketId, entity: { type: "comment", id: commentId }, data: { body: "Which screen?" } });
    await expect.poll(() => typesOf(tenantEvents)).toEqual(["ticket.created", "comment.created"]);
    expect(tenantEvents[0]).toMatchObject({ ticketId, data: { title: "Screen flickers" } });
    expect(tenant.lastEventId).toBe(tenantEvents.at(-1)!.id);
  });

  it("resumes after a server restart with every comment posted meanwhile, once each, in order", async () => {
    const owner = await signUp(server);
    const ticketId = await createTicket(owner);
    const first = await startInstance();
    // The page talks to the instance that is about to restart; the comments go through another.
    const session = createDocketClient({ baseUrl: first.url });
    await session.POST("/v1/auth/login", { body: { tenantSlug: owner.tenant.slug, email: owner.admin.email, password: PASSWORD } });
    const { live: client, statuses } = live(session);
    const events: LiveEvent[] = [];
    let lives = 0;
    await client.subscribe({ kind: "ticket", ticketId }, { onEvent: (event) => events.push(event), onLive: () => (lives += 1) }).live;
    await comment(owner.client, ticketId, "one");
    await expect.poll(() => commentBodies(events)).toEqual(["one"]);

    await first.app.close(); // its sockets close with 1001
    await first.services.close();
    for (const body of ["two", "three", "four"]) await comment(owner.client, ticketId, body);
    const second = await startInstance(first.port);
    cleanups.push(async () => {
      await second.app.close();
      await second.services.close();
    });

    await expect.poll(() => lives, { timeout: 15_000 }).toBe(2);
    await comment(owner.client, ticketId, "five");
    await expect.poll(() => commentBodies(events), { timeout: 10_000 }).toEqual(["one", "two", "three", "four", "five"]);
    expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
    expect(statuses.some((status) => status.state === "reconnecting" && status.code === 1001)).toBe(true);
  });

  it("resumes after the connection drops without a close frame", async () => {
    const owner = await signUp(server);
    const ticketId = await createTicket(owner);
    const { live: client, statuses } = live(owner.client);
    const events: LiveEvent[] = [];
    let lives = 0;
    await client.subscribe({ kind: "ticket", ticketId }, { onEvent: (event) => events.push(event), onLive: () => (lives += 1) }).live;
    await comment(owner.client, ticketId, "before");
    await expect.poll(() => commentBodies(events)).toEqual(["before"]);

    // The TCP connection dies (a proxy restart, a laptop lid): no close frame reaches the client.
    for (const socket of server.app.websocketServer.clients) socket.terminate();
    for (const body of ["during 1", "during 2"]) await comment(owner.client, ticketId, body);

    await expect.poll(() => lives, { timeout: 15_000 }).toBe(2);
    await comment(owner.client, ticketId, "after");
    await expect.poll(() => commentBodies(events), { timeout: 10_000 }).toEqual(["before", "during 1", "during 2", "after"]);
    expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
    expect(statuses.some((status) => status.state === "reconnecting" && status.code === 1006)).toBe(true);
  });

  it("stops for good when the session is revoked (4003) and says so", async () => {
    const owner = await signUp(server);
    const agent = await addMember(server, owner, "agent");
    const { live: client, statuses } = live(agent.client);
    await client.subscribe({ kind: "tenant" }, { onEvent: () => {} }).live;

    await agent.client.POST("/v1/auth/logout", { body: { refreshToken: agent.client.tokens.refreshToken! } });

    await expect.poll(() => client.status, { timeout: 10_000 }).toMatchObject({ state: "stopped", reason: "revoked", code: 4003 });
    const stoppedAt = statuses.length;
    // Longer than any backoff it was given: nothing follows the stop.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(statuses.slice(stoppedAt)).toEqual([]);
    expect(statuses.filter((status) => status.state === "connecting")).toHaveLength(1);
  });

  it("sends typing at most once per 2 s, and passes typing, presence and read receipts to the other side's listeners", async () => {
    const owner = await signUp(server);
    const agent = await addMember(server, owner, "agent");
    const ticketId = await createTicket(owner);
    const commentId = await comment(owner.client, ticketId, "Hello");
    const { live: watcher } = live(owner.client);
    const { live: typist } = live(agent.client);
    const typing: unknown[] = [];
    const reads: unknown[] = [];
    const viewers: string[][] = [];
    watcher.on("typing", (message) => typing.push(message));
    watcher.on("presence", (message) => viewers.push(message.viewers.map((viewer) => viewer.userId).sort()));
    watcher.on("read", (message) => reads.push(message));
    await watcher.subscribe({ kind: "ticket", ticketId }, { onEvent: () => {} }).live;
    await typist.subscribe({ kind: "ticket", ticketId }, { onEvent: () => {} }).live;
    await expect.poll(() => viewers.at(-1)).toEqual([owner.admin.id, agent.user.id].sort());

    for (let key = 0; key < 5; key++) typist.typing(ticketId);
    typist.markRead(ticketId, commentId);

    await expect.poll(() => reads, { timeout: 10_000 }).toEqual([expect.objectContaining({ type: "read", ticketId, userId: agent.user.id, commentId })]);
    expect(typing).toEqual([expect.objectContaining({ type: "typing", ticketId, userId: agent.user.id, internal: false })]);
  });
});
