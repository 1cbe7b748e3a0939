// A live socket's lifetime: its access token's expiry (4001), its session's end on any instance
// (4003), a consumer too slow for its bounded buffer (4008), and shutdown (1001); and the stream
// ticket's own (single use, 30 s).
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import WebSocket from "ws";
import { buildApp } from "../src/app.ts";
import { createServices, type Services } from "../src/services.ts";
import { createLogger } from "../src/logger.ts";
import { createDocketClient } from "../sdk/index.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { addMember, helpdesk, signUp, type Helpdesk } from "./support/fixtures.ts";
import { openTicket, ticketPath } from "./support/tickets.ts";
import { openStream, refusal, streamUrl, ticketFor } from "./support/stream.ts";

let server: TestServer;
let desk: Helpdesk;
// A second instance on the same database, as in instances.test.ts.
let second: FastifyInstance;
let secondServices: Services;
let secondUrl: string;

beforeAll(async () => {
  server = await startServer({ eventFeedPollMs: 200, sessionCacheTtlSeconds: 60, stream: { heartbeatSeconds: 25, sendBufferBytes: 65_536, maxMessageBytes: 16_384, maxSubscriptions: 100, ticketTtlSeconds: 1 } });
  const logger = createLogger({ level: "warn", stream: new Writable({ write: (_c, _e, done) => done() }) });
  secondServices = createServices({ config: server.config, database: server.database, logger });
  second = await buildApp({ config: server.config, logger, services: secondServices });
  await second.listen({ host: "127.0.0.1", port: 0 });
  const address = second.server.address();
  secondUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  desk = await helpdesk(server);
});
afterAll(async () => {
  await second.close();
  await secondServices.close();
  await server.close();
});

describe("the stream ticket", () => {
  it("works once, and not after it expires", async () => {
    const ticket = await ticketFor(desk.agent.client);
    const socket = await new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(streamUrl(secondUrl, ticket)); // spent on the other instance…
      ws.once("open", () => resolve(ws));
      ws.once("error", reject);
    });
    socket.close();
    expect((await refusal(streamUrl(server.url, ticket))).status).toBe(401); // …so not here
    const late = await ticketFor(desk.agent.client);
    await sleep(1_200);
    const refused = await refusal(streamUrl(server.url, late));
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body)).toMatchObject({ code: "unauthorized" });
  });
});

describe("the session", () => {
  it("closes the socket 4003 when its session ends on another instance, and only that one", async () => {
    const owner = await signUp(server);
    const member = await addMember(server, owner, "agent");
    const onSecond = await openStream(secondUrl, member.client);
    const other = await openStream(secondUrl, owner.client);
    await onSecond.subscribe("feed", { kind: "tenant" });
    await member.client.POST("/v1/auth/logout", { body: { refreshToken: member.client.tokens.refreshToken! } });
    expect(await onSecond.closed).toMatchObject({ code: 4003 });
    expect((await onSecond.closed).reason).toMatch(/log in again/);
    expect(other.ws.readyState).toBe(WebSocket.OPEN);

    // Deactivating a user closes their sockets too.
    const customer = await addMember(server, owner, "user");
    const customerSocket = await openStream(server.url, customer.client, "bearer");
    await owner.client.DELETE("/v1/users/{userId}", { params: { path: { userId: customer.user.id } } });
    expect(await customerSocket.closed).toMatchObject({ code: 4003 });
    expect(other.ws.readyState).toBe(WebSocket.OPEN);
    await other.close();
  });

  it("closes the socket 4001 when the access token expires", async () => {
    const shortLived = await startServer({ accessTokenTtlSeconds: 2 });
    try {
      const owner = await signUp(shortLived);
      const socket = await openStream(shortLived.url, owner.client);
      expect(Date.parse(socket.welcome.expiresAt) - Date.now()).toBeLessThanOrEqual(2_000);
      const { code, reason } = await socket.closed;
      expect(code).toBe(4001);
      expect(reason).toMatch(/resume/);
    } finally {
      await shortLived.close();
    }
  });
});

describe("a slow consumer", () => {
  it("is closed 4008 with a resume hint once its bounded buffer overflows, never silently skipped", async () => {
    const ticket = await openTicket(desk.owner.client, { title: "Firehose" });
    const socket = await openStream(server.url, desk.agent.client);
    await socket.subscribe("t", { kind: "ticket", ticketId: ticket.id });
    const before = server.services.stream.hub.size();
    (socket.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause(); // stops reading
    const body = "x".repeat(60_000);
    for (let i = 0; i < 400 && server.services.stream.hub.size() === before; i++) {
      await desk.owner.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body } });
    }
    expect(server.services.stream.hub.size()).toBe(before - 1);
    (socket.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const { code, reason } = await socket.closed;
    expect(code).toBe(4008);
    expect(reason).toMatch(/resume/);
    // What it did receive has no gap: comment events in order, each one once.
    const ids = socket.events("t").map((event) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
  }, 60_000);
});

describe("shutdown", () => {
  it("closes every socket 1001 with a resume hint", async () => {
    const leaving = await startServer();
    const owner = await signUp(leaving);
    const socket = await openStream(leaving.url, owner.client);
    await socket.subscribe("feed", { kind: "tenant" });
    await leaving.close();
    const { code, reason } = await socket.closed;
    expect(code).toBe(1001);
    expect(reason).toMatch(/resume/);
  });
});

describe("client messages", () => {
  it("answers malformed messages with errors, and closes 4400 on abuse or an oversized frame", async () => {
    const socket = await openStream(server.url, desk.agent.client);
    socket.ws.send("not json");
    expect(await socket.next("error")).toMatchObject({ code: "invalid_message" });
    socket.send({ type: "subscribe", id: "", topic: { kind: "tenant" } });
    expect(await socket.next("error", (message) => message.ref === "subscribe")).toMatchObject({ code: "invalid_message" });
    socket.send({ type: "unsubscribe", id: "nope" });
    expect(await socket.next("error", (message) => message.ref === "nope")).toMatchObject({ code: "not_found" });
    socket.ws.send("x".repeat(20_000));
    expect(await socket.closed).toMatchObject({ code: 4400 });

    const abusive = await openStream(server.url, desk.agent.client);
    for (let i = 0; i < 12; i++) abusive.ws.send("{");
    expect(await abusive.closed).toMatchObject({ code: 4400 });
  });
});
