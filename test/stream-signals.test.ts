// The stream's side of typing, presence and read markers (behind StreamSignals, which the
// presence module implements): client messages reach the signals, and signals reach the
// ticket's subscribers who may see them. Also heartbeats.
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import WebSocket from "ws";
import { buildApp } from "../src/app.ts";
import { createServices, type Services } from "../src/services.ts";
import { createLogger } from "../src/logger.ts";
import { problems } from "../src/core/problem.ts";
import type { LiveSignal, SignalViewer, StreamSignals } from "../src/modules/stream/signals.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { helpdesk, type Helpdesk } from "./support/fixtures.ts";
import { openTicket } from "./support/tickets.ts";
import { attach, openStream, streamUrl, ticketFor } from "./support/stream.ts";

/** An in-process StreamSignals: records calls and lets the test emit signals. */
function recordingSignals() {
  const listeners = new Set<(signal: LiveSignal) => void>();
  const calls: Array<{ call: string; userId: string; ticketId: string; extra?: unknown }> = [];
  const signals: StreamSignals = {
    async typing(viewer: SignalViewer, ticketId, internal) {
      if (ticketId === "00000000-0000-4000-8000-000000000000") throw problems.notFound("ticket", ticketId);
      calls.push({ call: "typing", userId: viewer.principal.userId, ticketId, extra: internal });
    },
    async read(viewer, ticketId, commentId) {
      calls.push({ call: "read", userId: viewer.principal.userId, ticketId, extra: commentId });
    },
    viewing: (viewer, ticketId) => void calls.push({ call: "viewing", userId: viewer.principal.userId, ticketId }),
    left: (viewer, ticketId) => void calls.push({ call: "left", userId: viewer.principal.userId, ticketId }),
    onSignal(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: async () => {},
  };
  return { signals, calls, emit: (signal: LiveSignal) => listeners.forEach((listener) => listener(signal)) };
}

let server: TestServer;
let desk: Helpdesk;
let app: FastifyInstance;
let services: Services;
let url: string;
const recorder = recordingSignals();

beforeAll(async () => {
  server = await startServer({ stream: { heartbeatSeconds: 1, sendBufferBytes: 1_048_576, maxMessageBytes: 16_384, maxSubscriptions: 100, ticketTtlSeconds: 30 } });
  const logger = createLogger({ level: "warn", stream: new Writable({ write: (_c, _e, done) => done() }) });
  services = createServices({ config: server.config, database: server.database, logger, signals: recorder.signals });
  app = await buildApp({ config: server.config, logger, services });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  desk = await helpdesk(server);
});
afterAll(async () => {
  await app.close();
  await services.close();
  await server.close();
});

describe("signals", () => {
  it("passes typing and read to the signals, tells presence who views a ticket, and delivers signals to those who may see them", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Who is here?" });
    const agent = await openStream(url, desk.agent.client);
    const customer = await openStream(url, desk.customer.client);
    await agent.subscribe("t", { kind: "ticket", ticketId: ticket.id });
    await customer.subscribe("t", { kind: "ticket", ticketId: ticket.id });
    expect(recorder.calls.filter((call) => call.call === "viewing").map((call) => call.userId).sort()).toEqual([desk.agent.user.id, desk.customer.user.id].sort());

    agent.send({ type: "typing", ticketId: ticket.id, internal: true });
    customer.send({ type: "read", ticketId: ticket.id, commentId: "0192f1a0-0000-7000-8000-000000000003" });
    customer.send({ type: "typing", ticketId: "00000000-0000-4000-8000-000000000000" });
    expect(await customer.next("error", (message) => message.ref === "typing")).toMatchObject({ code: "not_found" });
    await expect.poll(() => recorder.calls.filter((call) => call.call === "typing" || call.call === "read").length).toBe(2);

    const tenantId = desk.owner.tenant.id;
    const expiresAt = new Date(Date.now() + 6_000).toISOString();
    recorder.emit({ type: "typing", tenantId, ticketId: ticket.id, userId: desk.agent.user.id, internal: true, expiresAt });
    recorder.emit({ type: "typing", tenantId, ticketId: ticket.id, userId: desk.agent.user.id, internal: false, expiresAt });
    recorder.emit({ type: "presence", tenantId, ticketId: ticket.id, viewers: [{ userId: desk.agent.user.id, role: "agent", since: expiresAt }] });
    recorder.emit({ type: "typing", tenantId: "00000000-0000-4000-8000-000000000000", ticketId: ticket.id, userId: desk.agent.user.id, internal: false, expiresAt });
    await agent.next("presence");
    await customer.next("presence");
    expect(agent.messages.filter((message) => message.type === "typing").map((message) => (message as { internal: boolean }).internal)).toEqual([true, false]);
    expect(customer.messages.filter((message) => message.type === "typing").map((message) => (message as { internal: boolean }).internal)).toEqual([false]);

    await customer.close();
    await expect.poll(() => recorder.calls.some((call) => call.call === "left" && call.userId === desk.customer.user.id)).toBe(true);
    await agent.close();
  });
});

describe("heartbeats", () => {
  it("drops a client that misses two pongs, and keeps one that answers", async () => {
    const silent = await attach(new WebSocket(streamUrl(url, await ticketFor(desk.agent.client)), { autoPong: false }));
    const polite = await openStream(url, desk.agent.client);
    const { code } = await silent.closed;
    expect(code).toBe(1006); // terminated, no close frame
    expect(polite.ws.readyState).toBe(WebSocket.OPEN);
    await polite.close();
  });

  it("close a socket whose session ended even if the notification was lost (checked on each heartbeat)", async () => {
    const socket = await openStream(url, desk.agent.client);
    // Revoked behind the application's back: no NOTIFY is sent.
    await server.database.system.pool.query(`UPDATE "Session" SET "revokedAt" = now() WHERE "tenantId" = $1 AND "userId" = $2`, [desk.owner.tenant.id, desk.agent.user.id]);
    expect(await socket.closed).toMatchObject({ code: 4003 });
  });
});
