// The inbox: unread counts that stay exact while notifications arrive and are read at once,
// mark one read, mark all read up to a time (a watermark), delete, and paging.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { addMember, helpdesk, type Helpdesk } from "./support/fixtures.ts";
import { comment, openTicket } from "./support/tickets.ts";
import { inbox, settled, settledInbox, unreadCount } from "./support/notifications.ts";
import { EVENT_COLUMNS, type FeedEvent } from "../src/events/feed.ts";
import { notifyForEvents } from "../src/modules/notifications/derive.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

/** A ticket the desk's agent follows, and a way to notify them n times (comments by the customer). */
async function followedTicket(desk: Helpdesk) {
  const ticket = await openTicket(desk.customer.client, { title: "Chatty" });
  await desk.agent.client.PUT("/v1/tickets/{ticketId}/subscription", { params: { path: { ticketId: ticket.id } }, body: { state: "following" } });
  return {
    ticket,
    notify: async (n: number) => {
      for (let i = 0; i < n; i++) await comment(desk.customer.client, ticket.id, `message ${i}`);
    },
  };
}

describe("the unread count", () => {
  it("stays exact while notifications arrive and are read, one by one and all at once, concurrently", async () => {
    const desk = await helpdesk(server);
    const ticket = await openTicket(desk.customer.client, { title: "Busy" });
    await desk.agent.client.PUT("/v1/tickets/{ticketId}/subscription", { params: { path: { ticketId: ticket.id } }, body: { state: "following" } });
    const writers = await Promise.all([addMember(server, desk.owner, "agent"), addMember(server, desk.owner, "agent"), addMember(server, desk.owner, "agent")]);
    await comment(desk.customer.client, ticket.id, "warm-up");
    await settled(server);

    // Three writers comment while the reader marks single notifications and everything read.
    const writing = Promise.all(writers.map(async (writer, w) => {
      for (let i = 0; i < 12; i++) await comment(writer.client, ticket.id, `writer ${w} says ${i}`);
    }));
    const reading = (async () => {
      for (let round = 0; round < 8; round++) {
        const [first] = await inbox(desk.agent.client, { unread: true });
        if (first) await desk.agent.client.POST("/v1/notifications/{notificationId}/read", { params: { path: { notificationId: first.id } } });
        if (round % 3 === 2) await desk.agent.client.POST("/v1/notifications/read-all", { body: {} });
        const listed = await inbox(desk.agent.client);
        if (listed[1]) await desk.agent.client.DELETE("/v1/notifications/{notificationId}", { params: { path: { notificationId: listed[1].id } } });
      }
    })();
    await Promise.all([writing, reading]);
    // One more after the reader stopped: however the race went, something is left unread.
    await comment(writers[0].client, ticket.id, "after the reader");
    await settled(server);

    const unread = await inbox(desk.agent.client, { unread: true });
    const all = await inbox(desk.agent.client);
    expect(await unreadCount(desk.agent.client)).toBe(unread.length);
    expect(all.filter((notification) => notification.readAt === null)).toHaveLength(unread.length);
    expect(unread.length).toBeGreaterThan(0);

    const cleared = await desk.agent.client.POST("/v1/notifications/read-all", { body: {} });
    expect(cleared.data!.unreadCount).toBe(0);
    expect(await unreadCount(desk.agent.client)).toBe(0);
    expect(await inbox(desk.agent.client, { unread: true })).toEqual([]);
  });
});

describe("reading", () => {
  it("marks one read (once), and the count drops by one", async () => {
    const desk = await helpdesk(server);
    const { notify } = await followedTicket(desk);
    await notify(3);
    const [latest] = await settledInbox(server, desk.agent.client);
    expect(await unreadCount(desk.agent.client)).toBe(3);
    const read = await desk.agent.client.POST("/v1/notifications/{notificationId}/read", { params: { path: { notificationId: latest!.id } } });
    expect(read.data).toMatchObject({ id: latest!.id, readAt: expect.any(String) });
    const again = await desk.agent.client.POST("/v1/notifications/{notificationId}/read", { params: { path: { notificationId: latest!.id } } });
    expect(again.data!.readAt).toBe(read.data!.readAt);
    expect(await unreadCount(desk.agent.client)).toBe(2);
    expect((await inbox(desk.agent.client, { unread: false })).map((notification) => notification.id)).toEqual([latest!.id]);
  });

  it("marks all read up to a time: later ones stay unread; the watermark never moves back", async () => {
    const desk = await helpdesk(server);
    const { notify } = await followedTicket(desk);
    await notify(2);
    await settled(server);
    const cut = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await notify(2);
    await settled(server);
    const marked = await desk.agent.client.POST("/v1/notifications/read-all", { body: { before: cut } });
    expect(marked.data).toEqual({ unreadCount: 2, readUpTo: cut });
    const all = await inbox(desk.agent.client);
    expect(all.map((notification) => notification.readAt === null)).toEqual([true, true, false, false]);
    const earlier = await desk.agent.client.POST("/v1/notifications/read-all", { body: { before: "2020-01-01T00:00:00.000Z" } });
    expect(earlier.data).toEqual({ unreadCount: 2, readUpTo: cut });
    // A time in the future counts as now.
    const future = await desk.agent.client.POST("/v1/notifications/read-all", { body: { before: "2999-01-01T00:00:00.000Z" } });
    expect(future.data!.unreadCount).toBe(0);
    expect(new Date(future.data!.readUpTo!).getTime()).toBeLessThanOrEqual(Date.now());
    await notify(1);
    await settled(server);
    expect(await unreadCount(desk.agent.client)).toBe(1);
  });

  it("deletes one: gone from the list and from the count", async () => {
    const desk = await helpdesk(server);
    const { notify } = await followedTicket(desk);
    await notify(2);
    const [latest, older] = await settledInbox(server, desk.agent.client);
    expect((await desk.agent.client.DELETE("/v1/notifications/{notificationId}", { params: { path: { notificationId: latest!.id } } })).response.status).toBe(204);
    expect((await desk.agent.client.DELETE("/v1/notifications/{notificationId}", { params: { path: { notificationId: latest!.id } } })).response.status).toBe(404);
    expect((await inbox(desk.agent.client)).map((notification) => notification.id)).toEqual([older!.id]);
    expect(await unreadCount(desk.agent.client)).toBe(1);
  });

  it("pages newest first with a cursor, nothing repeated or missed", async () => {
    const desk = await helpdesk(server);
    const { notify } = await followedTicket(desk);
    await notify(5);
    await settled(server);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await desk.agent.client.GET("/v1/notifications", { params: { query: { limit: 2, cursor } } });
      seen.push(...page.data!.data.map((notification) => notification.id));
      cursor = page.data!.nextCursor ?? undefined;
    } while (cursor);
    const all = await inbox(desk.agent.client);
    expect(seen).toEqual(all.map((notification) => notification.id));
    expect(new Set(seen).size).toBe(5);
    const sorted = [...all].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    expect(all.map((n) => n.createdAt)).toEqual(sorted.map((n) => n.createdAt));
    const bad = await desk.agent.client.GET("/v1/notifications", { params: { query: { cursor: "not-a-cursor" } } });
    expect(bad.response.status).toBe(400);
  });
});

describe("the consumer", () => {
  it("makes no second notification, and counts none twice, when a batch is read again (after a crash)", async () => {
    const desk = await helpdesk(server);
    const { ticket, notify } = await followedTicket(desk);
    await notify(2);
    const before = await settledInbox(server, desk.agent.client);
    expect(before).toHaveLength(2);
    const system = server.database.system.prisma;
    const events = await system.$queryRawUnsafe<FeedEvent[]>(`SELECT ${EVENT_COLUMNS} FROM "Event" e WHERE e."tenantId" = $1::uuid AND e."ticketId" = $2::uuid ORDER BY e."txId", e.seq`, desk.owner.tenant.id, ticket.id);
    await system.$transaction((tx) => notifyForEvents(tx, events));
    expect(await inbox(desk.agent.client)).toEqual(before);
    expect(await unreadCount(desk.agent.client)).toBe(2);
  });

  it("counts a follow made earlier in the same batch: who commented is told of the next comment", async () => {
    const desk = await helpdesk(server);
    const second = await addMember(server, desk.owner, "agent");
    const ticket = await openTicket(desk.customer.client, { title: "Two agents reply" });
    await comment(desk.agent.client, ticket.id, "On it");
    await comment(second.client, ticket.id, "Me too");
    await settled(server);
    const system = server.database.system.prisma;
    const scope = [desk.owner.tenant.id, ticket.id] as const;
    // As if the consumer had not read either comment yet, then read both in one batch: the first
    // comment makes its author follow, the second must then tell them as a follower.
    await system.$executeRawUnsafe(`DELETE FROM "TicketSubscription" WHERE "tenantId" = $1::uuid AND "ticketId" = $2::uuid`, ...scope);
    await system.$executeRawUnsafe(`DELETE FROM "Notification" WHERE "tenantId" = $1::uuid AND "ticketId" = $2::uuid`, ...scope);
    const events = await system.$queryRawUnsafe<FeedEvent[]>(
      `SELECT ${EVENT_COLUMNS} FROM "Event" e WHERE e."tenantId" = $1::uuid AND e."ticketId" = $2::uuid AND e.type = 'comment.created' ORDER BY e."txId", e.seq`,
      ...scope,
    );
    expect(events).toHaveLength(2);
    await system.$transaction((tx) => notifyForEvents(tx, events));
    const told = await system.$queryRawUnsafe<{ userId: string; reason: string }[]>(
      `SELECT "userId"::text AS "userId", reason FROM "Notification" WHERE "tenantId" = $1::uuid AND "eventId" = $2::uuid`,
      desk.owner.tenant.id,
      events[1]!.id,
    );
    expect(told).toContainEqual({ userId: desk.agent.user.id, reason: "comment" });
    const follows = await system.$queryRawUnsafe<{ userId: string; reason: string }[]>(
      `SELECT "userId"::text AS "userId", reason FROM "TicketSubscription" WHERE "tenantId" = $1::uuid AND "ticketId" = $2::uuid ORDER BY reason, "userId"`,
      ...scope,
    );
    expect(follows).toEqual(expect.arrayContaining([{ userId: desk.agent.user.id, reason: "comment" }, { userId: second.user.id, reason: "comment" }]));
  });
});
