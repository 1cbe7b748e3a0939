// In-app notifications through the real server: who is told of what and why, never of their own
// actions or of what they may not see; follows, mutes, mentions and preferences respected.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Schemas } from "../sdk/index.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { addMember, helpdesk, signUp, type Helpdesk, type Member } from "./support/fixtures.ts";
import { comment, openTicket } from "./support/tickets.ts";
import { inbox, settled, settledInbox } from "./support/notifications.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

/** What a test looks at: the notifications about one ticket, as (reason, eventType) pairs. */
function about(notifications: Schemas["Notification"][], ticketId: string) {
  return notifications.filter((notification) => notification.ticketId === ticketId).map((notification) => [notification.reason, notification.eventType]);
}

describe("notifications for each reason", () => {
  let desk: Helpdesk;
  let other: Member;
  let ticketId: string;

  beforeAll(async () => {
    desk = await helpdesk(server);
    other = await addMember(server, desk.owner, "agent");
  });

  it("tells the assignee and the requester of a ticket opened for them, and not its opener", async () => {
    const ticket = await openTicket(desk.owner.client, { title: "Printer on fire", requesterId: desk.customer.user.id, assigneeId: desk.agent.user.id });
    ticketId = ticket.id;
    const agent = await settledInbox(server, desk.agent.client);
    expect(about(agent, ticketId)).toEqual([["assigned", "ticket.created"]]);
    expect(agent[0]).toMatchObject({ actor: { type: "user", id: desk.owner.admin.id }, readAt: null, commentId: null });
    expect(agent[0]!.summary).toBe(`Ada Admin assigned you #${ticket.number} Printer on fire`);
    expect(about(await inbox(desk.customer.client), ticketId)).toEqual([["requester", "ticket.created"]]);
    expect(about(await inbox(desk.owner.client), ticketId)).toEqual([]);
  });

  it("tells a new assignee (assigned), who then follows the ticket", async () => {
    await desk.owner.client.PATCH("/v1/tickets/{ticketId}", { params: { path: { ticketId } }, body: { assigneeId: other.user.id } });
    expect(about(await settledInbox(server, other.client), ticketId)).toEqual([["assigned", "ticket.assigned"]]);
    const subscription = await other.client.GET("/v1/tickets/{ticketId}/subscription", { params: { path: { ticketId } } });
    expect(subscription.data).toMatchObject({ state: "following", reason: "assigned" });
  });

  it("tells assignee, followers and nobody else of the requester's comment; never the commenter", async () => {
    await comment(desk.customer.client, ticketId, "Still burning");
    await settled(server);
    expect(about(await inbox(other.client), ticketId)[0]).toEqual(["assigned", "comment.created"]);
    // The first assignee followed it when it was assigned to them.
    expect(about(await inbox(desk.agent.client), ticketId)[0]).toEqual(["follower", "comment.created"]);
    expect(about(await inbox(desk.customer.client), ticketId)).toEqual([["requester", "ticket.created"]]);
  });

  it("keeps internal notes from the requester", async () => {
    await comment(other.client, ticketId, "Call facilities", true);
    await settled(server);
    const agent = about(await inbox(desk.agent.client), ticketId);
    expect(agent[0]).toEqual(["follower", "comment.created"]);
    expect((await inbox(desk.agent.client))[0]!.summary).toContain("added an internal note");
    expect(about(await inbox(desk.customer.client), ticketId)).toEqual([["requester", "ticket.created"]]);
  });

  it("tells the requester and followers of a status change (requester, follower), and the mover follows", async () => {
    await desk.owner.client.PATCH("/v1/tickets/{ticketId}", { params: { path: { ticketId } }, body: { status: "pending" } });
    await settled(server);
    const customer = await inbox(desk.customer.client);
    expect(about(customer, ticketId)[0]).toEqual(["requester", "ticket.status_changed"]);
    expect(customer[0]!.summary).toMatch(/^Ada Admin moved #\d+ Printer on fire to pending$/);
    expect(about(await inbox(desk.agent.client), ticketId)[0]).toEqual(["follower", "ticket.status_changed"]);
    const subscription = await desk.owner.client.GET("/v1/tickets/{ticketId}/subscription", { params: { path: { ticketId } } });
    expect(subscription.data).toMatchObject({ state: "following", reason: "status_changed" });
  });

  it("tells those who commented before (comment)", async () => {
    const helper = await addMember(server, desk.owner, "agent");
    await comment(helper.client, ticketId, "Extinguisher on its way");
    await comment(desk.customer.client, ticketId, "Thanks");
    await settled(server);
    expect(about(await inbox(helper.client), ticketId)).toEqual([["comment", "comment.created"]]);
  });

  it("tells those @mentioned (by id or by email) who may see the comment, and only them", async () => {
    const quiet = await openTicket(desk.owner.client, { title: "Quiet one" });
    const outsider = await addMember(server, desk.owner, "user");
    const other2 = await signUp(server);
    await comment(
      desk.owner.client,
      quiet.id,
      `@[Agent](user:${desk.agent.user.id}) and @${other.user.email}, see this; cc @${outsider.user.email} and @ada@${other2.tenant.slug}.test`,
    );
    await settled(server);
    expect(about(await inbox(desk.agent.client), quiet.id)).toEqual([["mentioned", "comment.created"]]);
    expect((await inbox(desk.agent.client))[0]!.summary).toBe(`Ada Admin mentioned you on #${quiet.number} Quiet one`);
    expect(about(await inbox(other.client), quiet.id)).toEqual([["mentioned", "comment.created"]]);
    // A `user` who did not request the ticket may not see it; another tenant's Ada is not ours.
    expect(about(await inbox(outsider.client), quiet.id)).toEqual([]);
    expect(await inbox(other2.client)).toEqual([]);
  });

  it("an edit tells only those it newly mentions", async () => {
    const edited = await openTicket(desk.owner.client, { title: "Edited" });
    const posted = await comment(desk.owner.client, edited.id, `@${desk.agent.user.email} first`);
    await settled(server);
    await desk.owner.client.PATCH("/v1/tickets/{ticketId}/comments/{commentId}", {
      params: { path: { ticketId: edited.id, commentId: posted.id } },
      body: { body: `@${desk.agent.user.email} and now @${other.user.email} too` },
    });
    await settled(server);
    expect(about(await inbox(desk.agent.client), edited.id)).toEqual([["mentioned", "comment.created"]]);
    expect(about(await inbox(other.client), edited.id)).toEqual([["mentioned", "comment.updated"]]);
  });

  it("mentions in an internal note reach staff only", async () => {
    const own = await openTicket(desk.customer.client, { title: "My laptop" });
    await comment(desk.agent.client, own.id, `@${desk.customer.user.email} @${other.user.email} internal`, true);
    await settled(server);
    expect(about(await inbox(other.client), own.id)).toEqual([["mentioned", "comment.created"]]);
    expect(about(await inbox(desk.customer.client), own.id)).toEqual([]);
  });

  it("names an API key as the actor", async () => {
    const key = await desk.owner.client.POST("/v1/api-keys", { body: { name: "zapier", role: "agent" } });
    const integration = server.client({ accessToken: key.data!.secret });
    await integration.PATCH("/v1/tickets/{ticketId}", { params: { path: { ticketId } }, body: { status: "open" } });
    await settled(server);
    const [latest] = await inbox(desk.customer.client);
    expect(latest).toMatchObject({ reason: "requester", eventType: "ticket.status_changed", actor: { type: "api_key", id: key.data!.id } });
    expect(latest!.summary).toMatch(/^API key “zapier” moved/);
  });
});

describe("security notices", () => {
  it("tells every admin of a new API key, its creator included, whatever their preferences", async () => {
    const owner = await signUp(server);
    const second = await addMember(server, owner, "admin");
    const agent = await addMember(server, owner, "agent");
    await owner.client.PUT("/v1/notifications/defaults", { body: { preferences: [{ kind: "follower", channel: "in_app", enabled: false }] } });
    const refused = await owner.client.PUT("/v1/notifications/preferences", { body: { preferences: [{ kind: "api_key_created", channel: "in_app", enabled: false }] } });
    expect(refused.response.status).toBe(422);
    expect(refused.error).toMatchObject({ code: "always_sent" });
    await owner.client.POST("/v1/api-keys", { body: { name: "ci", role: "agent" } });
    await settled(server);
    for (const client of [owner.client, second.client]) {
      const [notice] = await inbox(client);
      expect(notice).toMatchObject({ reason: "api_key_created", eventType: "api_key.created", ticketId: null });
      expect(notice!.summary).toBe("Ada Admin created the API key “ci” (agent)");
    }
    expect(await inbox(agent.client)).toEqual([]);
  });

  it("tells a user their password was changed", async () => {
    const desk = await helpdesk(server);
    await desk.owner.client.PATCH("/v1/users/{userId}", { params: { path: { userId: desk.customer.user.id } }, body: { password: "a brand new passphrase" } });
    // The change ended the user's sessions: they log in with the new password.
    const customer = server.client();
    await customer.POST("/v1/auth/login", { body: { tenantSlug: desk.owner.tenant.slug, email: desk.customer.user.email, password: "a brand new passphrase" } });
    const [notice] = await settledInbox(server, customer);
    expect(notice).toMatchObject({ reason: "password_changed", summary: "Ada Admin changed your password" });
  });
});

describe("never of deleted content", () => {
  it("tells nobody of a comment deleted before the consumer read it", async () => {
    const desk = await helpdesk(server);
    const ticket = await openTicket(desk.owner.client, { title: "Oops", assigneeId: desk.agent.user.id });
    await settled(server);
    // An open transaction with an id holds the feed's horizon: the comment and its deletion are
    // both committed before the consumer may read either.
    const holder = new pg.Client({ connectionString: server.databaseUrl });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT pg_current_xact_id()");
      const posted = await comment(desk.owner.client, ticket.id, "wrong ticket, sorry");
      await desk.owner.client.DELETE("/v1/tickets/{ticketId}/comments/{commentId}", { params: { path: { ticketId: ticket.id, commentId: posted.id } } });
      await holder.query("COMMIT");
    } finally {
      await holder.end();
    }
    expect(about(await settledInbox(server, desk.agent.client), ticket.id)).toEqual([["assigned", "ticket.created"]]);
  });
});

describe("follows and mutes", () => {
  it("mute silences a ticket; unfollowing ends follower notifications; following again restores them", async () => {
    const desk = await helpdesk(server);
    const ticket = await openTicket(desk.customer.client, { title: "Noisy" });
    const path = { params: { path: { ticketId: ticket.id } } };
    expect((await desk.agent.client.GET("/v1/tickets/{ticketId}/subscription", path)).data).toEqual({ ticketId: ticket.id, state: "none", reason: null, updatedAt: null });
    const followed = await desk.agent.client.PUT("/v1/tickets/{ticketId}/subscription", { ...path, body: { state: "following" } });
    expect(followed.data).toMatchObject({ state: "following", reason: "manual" });
    await comment(desk.customer.client, ticket.id, "one");
    expect(about(await settledInbox(server, desk.agent.client), ticket.id)).toEqual([["follower", "comment.created"]]);

    await desk.agent.client.PUT("/v1/tickets/{ticketId}/subscription", { ...path, body: { state: "muted" } });
    await comment(desk.customer.client, ticket.id, `two, @${desk.agent.user.email}`);
    expect(about(await settledInbox(server, desk.agent.client), ticket.id)).toHaveLength(1);
    // A comment of the agent's own does not override the mute.
    await comment(desk.agent.client, ticket.id, "muted but replying");
    await settled(server);
    expect((await desk.agent.client.GET("/v1/tickets/{ticketId}/subscription", path)).data).toMatchObject({ state: "muted" });

    expect((await desk.agent.client.DELETE("/v1/tickets/{ticketId}/subscription", path)).response.status).toBe(204);
    await desk.owner.client.PATCH("/v1/tickets/{ticketId}", { ...path, body: { status: "pending" } });
    expect(about(await settledInbox(server, desk.agent.client), ticket.id)).toHaveLength(1);

    await desk.agent.client.PUT("/v1/tickets/{ticketId}/subscription", { ...path, body: { state: "following" } });
    await desk.owner.client.PATCH("/v1/tickets/{ticketId}", { ...path, body: { status: "open" } });
    expect(about(await settledInbox(server, desk.agent.client), ticket.id)[0]).toEqual(["follower", "ticket.status_changed"]);
  });

  it("a user may follow only a ticket they may see", async () => {
    const desk = await helpdesk(server);
    const ticket = await openTicket(desk.owner.client, { title: "Staff only" });
    const denied = await desk.customer.client.PUT("/v1/tickets/{ticketId}/subscription", { params: { path: { ticketId: ticket.id } }, body: { state: "following" } });
    expect(denied.response.status).toBe(404);
  });
});

describe("preferences", () => {
  it("shows every kind and channel with its source", async () => {
    const desk = await helpdesk(server);
    const { data } = await desk.customer.client.GET("/v1/notifications/preferences");
    expect(data!.data).toHaveLength(16);
    expect(data!.data).toContainEqual({ kind: "requester", channel: "email", enabled: true, source: "default" });
    expect(data!.data).toContainEqual({ kind: "follower", channel: "email", enabled: false, source: "default" });
    expect(data!.data).toContainEqual({ kind: "password_changed", channel: "email", enabled: true, source: "always" });
  });

  it("an opted-out channel gets nothing; the other channel still does; both off makes none", async () => {
    const desk = await helpdesk(server);
    const ticket = await openTicket(desk.customer.client, { title: "Prefs" });
    const set = await desk.customer.client.PUT("/v1/notifications/preferences", { body: { preferences: [{ kind: "requester", channel: "in_app", enabled: false }] } });
    expect(set.data!.data).toContainEqual({ kind: "requester", channel: "in_app", enabled: false, source: "user" });
    await comment(desk.agent.client, ticket.id, "first reply");
    expect(await settledInbox(server, desk.customer.client)).toEqual([]);
    const exported = await desk.customer.client.GET("/v1/notifications/personal-data");
    expect(exported.data!.notifications.map((notification) => [notification.reason, notification.channels])).toEqual([["requester", ["email"]]]);

    await desk.customer.client.PUT("/v1/notifications/preferences", { body: { preferences: [{ kind: "requester", channel: "email", enabled: false }] } });
    await comment(desk.agent.client, ticket.id, "second reply");
    await settled(server);
    expect((await desk.customer.client.GET("/v1/notifications/personal-data")).data!.notifications).toHaveLength(1);

    // null: back to the default.
    await desk.customer.client.PUT("/v1/notifications/preferences", { body: { preferences: [{ kind: "requester", channel: "in_app", enabled: null }] } });
    await comment(desk.agent.client, ticket.id, "third reply");
    expect(about(await settledInbox(server, desk.customer.client), ticket.id)).toEqual([["requester", "comment.created"]]);
  });

  it("tenant defaults apply to those who did not choose; a user's choice wins", async () => {
    const desk = await helpdesk(server);
    const second = await addMember(server, desk.owner, "agent");
    const agentPath = desk.agent.client;
    expect((await agentPath.GET("/v1/notifications/defaults")).response.status).toBe(403);
    const defaults = await desk.owner.client.PUT("/v1/notifications/defaults", { body: { preferences: [{ kind: "follower", channel: "in_app", enabled: false }] } });
    expect(defaults.data!.data).toContainEqual({ kind: "follower", channel: "in_app", enabled: false, source: "tenant" });
    await second.client.PUT("/v1/notifications/preferences", { body: { preferences: [{ kind: "follower", channel: "in_app", enabled: true }] } });
    const ticket = await openTicket(desk.customer.client, { title: "Defaults" });
    for (const member of [desk.agent, second]) await member.client.PUT("/v1/tickets/{ticketId}/subscription", { params: { path: { ticketId: ticket.id } }, body: { state: "following" } });
    await comment(desk.customer.client, ticket.id, "hello");
    await settled(server);
    expect(about(await inbox(desk.agent.client), ticket.id)).toEqual([]);
    expect(about(await inbox(second.client), ticket.id)).toEqual([["follower", "comment.created"]]);
  });
});

describe("GDPR export and erasure", () => {
  it("exports and erases one user's notification data, by themselves or by their admin", async () => {
    const desk = await helpdesk(server);
    const ticket = await openTicket(desk.owner.client, { title: "Personal", assigneeId: desk.agent.user.id });
    await desk.agent.client.PUT("/v1/notifications/preferences", { body: { preferences: [{ kind: "comment", channel: "email", enabled: true }] } });
    await settled(server);

    const own = await desk.agent.client.GET("/v1/notifications/personal-data");
    expect(own.data).toMatchObject({
      userId: desk.agent.user.id,
      notifications: [{ reason: "assigned", ticketId: ticket.id, channels: ["in_app", "email"] }],
      inbox: { unreadCount: 1, readUpTo: null },
      preferences: [{ kind: "comment", channel: "email", enabled: true }],
      subscriptions: [{ ticketId: ticket.id, state: "following", reason: "assigned" }],
    });
    const byAdmin = await desk.owner.client.GET("/v1/users/{userId}/notification-data", { params: { path: { userId: desk.agent.user.id } } });
    expect(byAdmin.data!.notifications).toEqual(own.data!.notifications);
    expect((await desk.customer.client.GET("/v1/users/{userId}/notification-data", { params: { path: { userId: desk.agent.user.id } } })).response.status).toBe(403);
    const stranger = await signUp(server);
    expect((await stranger.client.GET("/v1/users/{userId}/notification-data", { params: { path: { userId: desk.agent.user.id } } })).response.status).toBe(404);
    expect((await stranger.client.DELETE("/v1/users/{userId}/notification-data", { params: { path: { userId: desk.agent.user.id } } })).response.status).toBe(404);

    expect((await desk.owner.client.DELETE("/v1/users/{userId}/notification-data", { params: { path: { userId: desk.agent.user.id } } })).response.status).toBe(204);
    const erased = await desk.agent.client.GET("/v1/notifications/personal-data");
    expect(erased.data).toMatchObject({ notifications: [], inbox: { unreadCount: 0, readUpTo: null }, preferences: [], subscriptions: [] });
    expect((await desk.agent.client.GET("/v1/notifications/unread-count")).data!.unreadCount).toBe(0);

    // The user's own erasure.
    await desk.customer.client.PUT("/v1/tickets/{ticketId}/subscription", { params: { path: { ticketId: (await openTicket(desk.customer.client)).id } }, body: { state: "muted" } });
    expect((await desk.customer.client.DELETE("/v1/notifications/personal-data")).response.status).toBe(204);
    expect((await desk.customer.client.GET("/v1/notifications/personal-data")).data).toMatchObject({ notifications: [], subscriptions: [] });
  });
});

describe("tenant isolation", () => {
  it("another tenant's notification is not found, and nothing of theirs is listed", async () => {
    const desk = await helpdesk(server);
    await openTicket(desk.owner.client, { title: "Ours", assigneeId: desk.agent.user.id });
    const [ours] = await settledInbox(server, desk.agent.client);
    const stranger = await signUp(server);
    const path = { params: { path: { notificationId: ours!.id } } };
    expect((await stranger.client.POST("/v1/notifications/{notificationId}/read", path)).response.status).toBe(404);
    expect((await stranger.client.DELETE("/v1/notifications/{notificationId}", path)).response.status).toBe(404);
    // Nor another user's of the same tenant.
    expect((await desk.owner.client.POST("/v1/notifications/{notificationId}/read", path)).response.status).toBe(404);
    expect(await inbox(stranger.client)).toEqual([]);
    expect((await inbox(desk.agent.client))[0]!.readAt).toBeNull();
  });

  it("an API key has no inbox", async () => {
    const owner = await signUp(server);
    const key = await owner.client.POST("/v1/api-keys", { body: { name: "robot", role: "admin" } });
    const integration = server.client({ accessToken: key.data!.secret });
    expect((await integration.GET("/v1/notifications")).response.status).toBe(403);
  });
});
