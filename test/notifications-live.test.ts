// New notifications are pushed over the live stream to their owner's open sockets, on whichever
// instance those are (LISTEN/NOTIFY), and to nobody else's.
import { Writable } from "node:stream";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.ts";
import { createServices } from "../src/services.ts";
import { createLogger } from "../src/logger.ts";
import { createDocketClient, createLiveClient, type DocketClient, type LiveClient, type NotificationMessage } from "../sdk/index.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { helpdesk, PASSWORD } from "./support/fixtures.ts";
import { comment, openTicket } from "./support/tickets.ts";
import { inbox } from "./support/notifications.ts";

let server: TestServer;
const cleanups: Array<() => Promise<unknown> | unknown> = [];
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await server.close();
});

function listen(client: DocketClient): { live: LiveClient; received: NotificationMessage[] } {
  const live = createLiveClient(client, { minDelayMs: 50, maxDelayMs: 500 });
  const received: NotificationMessage[] = [];
  live.on("notification", (message) => received.push(message));
  cleanups.push(() => live.close());
  return { live, received };
}

async function opened(live: LiveClient): Promise<void> {
  await expect.poll(() => live.status.state, { timeout: 10_000 }).toBe("open");
}

describe("live notifications", () => {
  it("pushes a new notification, with the unread count, to every socket of its owner only", async () => {
    const desk = await helpdesk(server);
    const ticket = await openTicket(desk.customer.client, { title: "Live one" });
    await desk.agent.client.PUT("/v1/tickets/{ticketId}/subscription", { params: { path: { ticketId: ticket.id } }, body: { state: "following" } });

    // The agent on two tabs, one of them on another instance (which runs no workers).
    const logger = createLogger({ level: "warn", stream: new Writable({ write: (_chunk, _encoding, done) => done() }) });
    const services = createServices({ config: server.config, database: server.database, logger });
    const app = await buildApp({ config: server.config, logger, services });
    await app.listen({ host: "127.0.0.1", port: 0 });
    cleanups.push(async () => {
      await app.close();
      await services.close();
    });
    const elsewhere = createDocketClient({ baseUrl: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` });
    await elsewhere.POST("/v1/auth/login", { body: { tenantSlug: desk.owner.tenant.slug, email: desk.agent.user.email, password: PASSWORD } });

    const here = listen(desk.agent.client);
    const there = listen(elsewhere);
    const customer = listen(desk.customer.client);
    await Promise.all([opened(here.live), opened(there.live), opened(customer.live)]);

    const posted = await comment(desk.customer.client, ticket.id, "Can anyone hear me?");
    await expect.poll(() => here.received.length, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => there.received.length, { timeout: 10_000 }).toBe(1);
    const [message] = here.received;
    expect(message).toMatchObject({
      type: "notification",
      unreadCount: 1,
      notification: { reason: "follower", eventType: "comment.created", ticketId: ticket.id, commentId: posted.id, readAt: null },
    });
    expect(there.received[0]).toEqual(message);
    // What was pushed is what the inbox lists.
    expect((await inbox(desk.agent.client))[0]).toEqual(message!.notification);

    await comment(desk.agent.client, ticket.id, "Loud and clear");
    await expect.poll(() => customer.received.map((pushed) => pushed.notification.reason), { timeout: 10_000 }).toEqual(["requester"]);
    expect(here.received).toHaveLength(1);
  });
});
