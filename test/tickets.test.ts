import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { addMember, helpdesk, signUp, type Member, type SignedUpTenant } from "./support/fixtures.ts";
import { openTicket, ticketPath } from "./support/tickets.ts";

let server: TestServer;
let acme: SignedUpTenant;
let agent: Member;
let customer: Member;
let otherCustomer: Member;

beforeAll(async () => {
  server = await startServer();
  ({ owner: acme, agent, customer } = await helpdesk(server));
  otherCustomer = await addMember(server, acme, "user");
});
afterAll(async () => {
  await server.close();
});

describe("opening tickets", () => {
  it("numbers them per tenant and normalises tags", async () => {
    const other = await signUp(server);
    const first = await openTicket(other.client, { title: "First", tags: ["VPN", "vpn", "Billing"] });
    const second = await openTicket(other.client, { title: "Second" });
    expect([first.number, second.number]).toEqual([1, 2]);
    expect(first).toMatchObject({ status: "open", priority: "normal", channel: "api", requesterId: other.admin.id, assigneeId: null, tags: ["vpn", "billing"], version: 1 });
  });

  it("never hands out the same number twice under concurrent creation", async () => {
    const tenant = await signUp(server);
    const created = await Promise.all(Array.from({ length: 30 }, (_, i) => openTicket(tenant.client, { title: `Concurrent ${i}` })));
    expect(created.map((ticket) => ticket.number).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it("makes a user the requester and refuses them agent-only fields", async () => {
    const own = await openTicket(customer.client, { title: "My laptop" });
    expect(own.requesterId).toBe(customer.user.id);
    const onBehalf = await customer.client.POST("/v1/tickets", { body: { title: "x", requesterId: otherCustomer.user.id } });
    expect(onBehalf.response.status).toBe(403);
    const assigned = await customer.client.POST("/v1/tickets", { body: { title: "x", assigneeId: agent.user.id } });
    expect(assigned.response.status).toBe(403);
  });

  it("lets agents open on behalf of a user and assign only to active agents or admins", async () => {
    const ticket = await openTicket(agent.client, { title: "Phoned in", channel: "phone", requesterId: customer.user.id, assigneeId: agent.user.id, priority: "high", type: "incident" });
    expect(ticket).toMatchObject({ requesterId: customer.user.id, assigneeId: agent.user.id, channel: "phone", type: "incident" });
    const toCustomer = await agent.client.POST("/v1/tickets", { body: { title: "x", assigneeId: customer.user.id } });
    expect(toCustomer.response.status).toBe(400);
    expect(toCustomer.error?.errors).toEqual([{ pointer: "/assigneeId", detail: "is not an active agent or admin of this tenant" }]);
  });

  it("limits metadata to 8 KB", async () => {
    const { response, error } = await acme.client.POST("/v1/tickets", { body: { title: "x", metadata: { blob: "x".repeat(9000) } } });
    expect(response.status).toBe(400);
    expect(error?.errors?.[0]?.pointer).toBe("/metadata");
  });
});

describe("the status workflow", () => {
  it("moves through open → pending → solved → closed, stamping solvedAt and closedAt", async () => {
    const ticket = await openTicket(acme.client);
    const pending = await agent.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { status: "pending" } });
    expect(pending.data?.status).toBe("pending");
    const solved = await agent.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { status: "solved" } });
    expect(solved.data?.solvedAt).not.toBeNull();
    const closed = await agent.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { status: "closed" } });
    expect(closed.data).toMatchObject({ status: "closed", closedAt: expect.any(String), version: 4 });
  });

  it("refuses invalid transitions with a 409 naming the allowed ones", async () => {
    const ticket = await openTicket(acme.client);
    const skip = await agent.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { status: "closed" } });
    expect(skip.response.status).toBe(409);
    expect(skip.error).toMatchObject({ code: "invalid_status_transition", detail: "A open ticket cannot become closed; allowed: pending, on_hold, solved." });

    await agent.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { status: "solved" } });
    await agent.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { status: "closed" } });
    const reopen = await agent.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { status: "open" } });
    expect(reopen.response.status).toBe(409);
    expect(reopen.error?.detail).toBe("A closed ticket cannot become open; closed is final.");
  });

  it("lets a user solve and reopen their own ticket, and nothing more", async () => {
    const ticket = await openTicket(customer.client, { title: "Mine" });
    const solved = await customer.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { status: "solved" } });
    expect(solved.data?.status).toBe("solved");
    const reopened = await customer.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { status: "open" } });
    expect(reopened.data?.status).toBe("open");
    for (const body of [{ priority: "urgent" as const }, { status: "pending" as const }, { title: "Renamed" }]) {
      expect((await customer.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body })).response.status).toBe(403);
    }
  });
});

describe("safe writes", () => {
  it("returns an ETag and honours If-Match (412 when stale) and If-None-Match (304)", async () => {
    const ticket = await openTicket(acme.client);
    const read = await agent.client.GET("/v1/tickets/{ticketId}", ticketPath(ticket.id));
    const etag = read.response.headers.get("etag")!;
    expect(etag).toBe('"1.0"'); // version 1, nothing unread
    const notModified = await fetch(`${server.url}/v1/tickets/${ticket.id}`, { headers: { authorization: `Bearer ${agent.client.tokens.accessToken}`, "if-none-match": etag } });
    expect(notModified.status).toBe(304);

    const first = await agent.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { priority: "high" }, headers: { "if-match": etag } });
    expect(first.response.headers.get("etag")).toBe('"2"');
    const stale = await acme.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { priority: "low" }, headers: { "if-match": etag } });
    expect(stale.response.status).toBe(412);
    expect(stale.error?.code).toBe("precondition_failed");
    expect((await agent.client.GET("/v1/tickets/{ticketId}", ticketPath(ticket.id))).data?.priority).toBe("high");
  });

  it("lets exactly one of two concurrent PATCHes with the same If-Match win", async () => {
    const ticket = await openTicket(acme.client);
    const results = await Promise.all(
      ["low", "urgent", "high", "low"].map((priority) =>
        agent.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { priority: priority as "low" }, headers: { "if-match": '"1"' } }),
      ),
    );
    const statuses = results.map((result) => result.response.status).sort();
    expect(statuses).toEqual([200, 412, 412, 412]);
    const final = await agent.client.GET("/v1/tickets/{ticketId}", ticketPath(ticket.id));
    expect(final.data?.version).toBe(2);
  });

  it("replays a creation retried with the same Idempotency-Key, and refuses the key for another body", async () => {
    const tenant = await signUp(server);
    const headers = { "idempotency-key": "create-printer-ticket-1" };
    const first = await tenant.client.POST("/v1/tickets", { body: { title: "Printer", priority: "high" }, headers });
    const retry = await tenant.client.POST("/v1/tickets", { body: { priority: "high", title: "Printer" }, headers });
    expect(retry.response.status, JSON.stringify(retry.error)).toBe(201);
    expect(retry.response.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.data).toEqual(first.data);
    const list = await tenant.client.GET("/v1/tickets", { params: { query: {} } });
    expect(list.data!.data).toHaveLength(1);

    const other = await tenant.client.POST("/v1/tickets", { body: { title: "Something else" }, headers });
    expect(other.response.status).toBe(422);
    expect(other.error?.code).toBe("idempotency_key_reused");

    // Concurrent retries of one request create one ticket; a retry that arrives while the first
    // is still running is told so at once (409, retry in a second) instead of waiting.
    const burst = await Promise.all(Array.from({ length: 5 }, () => tenant.client.POST("/v1/tickets", { body: { title: "Burst" }, headers: { "idempotency-key": "burst" } })));
    const created = burst.filter((result) => result.response.status === 201);
    const busy = burst.filter((result) => result.response.status === 409);
    expect(created.length + busy.length).toBe(5);
    expect(created.filter((result) => result.response.headers.get("idempotent-replayed") !== "true")).toHaveLength(1);
    expect(new Set(created.map((result) => result.data?.id)).size).toBe(1);
    for (const result of busy) {
      expect(result.error?.code).toBe("idempotency_key_in_use");
      expect(result.response.headers.get("retry-after")).toBe("1");
    }
    expect((await tenant.client.GET("/v1/tickets", { params: { query: {} } })).data!.data).toHaveLength(2);
    const retried = await tenant.client.POST("/v1/tickets", { body: { title: "Burst" }, headers: { "idempotency-key": "burst" } });
    expect(retried.response.headers.get("idempotent-replayed")).toBe("true");
    expect(retried.data?.id).toBe(created[0]!.data?.id);
  });

  it("scopes idempotency keys to the caller", async () => {
    const tenant = await signUp(server);
    const member = await addMember(server, tenant, "agent");
    const headers = { "idempotency-key": "same-key" };
    const a = await tenant.client.POST("/v1/tickets", { body: { title: "A" }, headers });
    const b = await member.client.POST("/v1/tickets", { body: { title: "A" }, headers });
    expect(a.data?.id).not.toBe(b.data?.id);
  });
});

describe("who sees which ticket", () => {
  it("answers 404 for another requester's ticket on every ticket and comment operation", async () => {
    const ticket = await openTicket(customer.client, { title: "Private" });
    const comment = (await customer.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "hello" } })).data!;
    const path = ticketPath(ticket.id);
    const commentPath = { params: { path: { ticketId: ticket.id, commentId: comment.id } } };
    const c = otherCustomer.client;
    const attempts = [
      await c.GET("/v1/tickets/{ticketId}", path),
      await c.PATCH("/v1/tickets/{ticketId}", { ...path, body: { status: "solved" } }),
      await c.GET("/v1/tickets/{ticketId}/activity", { params: { path: { ticketId: ticket.id }, query: {} } }),
      await c.GET("/v1/tickets/{ticketId}/comments", { params: { path: { ticketId: ticket.id }, query: {} } }),
      await c.POST("/v1/tickets/{ticketId}/comments", { ...path, body: { body: "sneaky" } }),
      await c.PATCH("/v1/tickets/{ticketId}/comments/{commentId}", { ...commentPath, body: { body: "edited" } }),
      await c.DELETE("/v1/tickets/{ticketId}/comments/{commentId}", commentPath),
    ];
    for (const attempt of attempts) {
      expect(attempt.response.status).toBe(404);
      expect(attempt.error?.detail).toBe(`No ticket ${ticket.id}.`);
    }
    const list = await c.GET("/v1/tickets", { params: { query: { limit: 100 } } });
    expect(list.data!.data.map((t) => t.id)).not.toContain(ticket.id);
  });

  it("answers 404 for another tenant's ticket on every ticket and comment operation", async () => {
    const ticket = await openTicket(acme.client, { title: "Acme only" });
    const comment = (await acme.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "hi" } })).data!;
    const globex = await signUp(server);
    const c = globex.client;
    const path = ticketPath(ticket.id);
    const commentPath = { params: { path: { ticketId: ticket.id, commentId: comment.id } } };
    const attempts = [
      await c.GET("/v1/tickets/{ticketId}", path),
      await c.PATCH("/v1/tickets/{ticketId}", { ...path, body: { priority: "low" } }),
      await c.DELETE("/v1/tickets/{ticketId}", path),
      await c.POST("/v1/tickets/{ticketId}/restore", path),
      await c.GET("/v1/tickets/{ticketId}/activity", { params: { path: { ticketId: ticket.id }, query: {} } }),
      await c.GET("/v1/tickets/{ticketId}/comments", { params: { path: { ticketId: ticket.id }, query: {} } }),
      await c.POST("/v1/tickets/{ticketId}/comments", { ...path, body: { body: "x" } }),
      await c.PATCH("/v1/tickets/{ticketId}/comments/{commentId}", { ...commentPath, body: { body: "x" } }),
      await c.DELETE("/v1/tickets/{ticketId}/comments/{commentId}", commentPath),
    ];
    for (const attempt of attempts) expect(attempt.response.status).toBe(404);
    const bulk = await c.POST("/v1/tickets/bulk", { body: { ticketIds: [ticket.id], changes: { priority: "low" } } });
    expect(bulk.response.status).toBe(404);
    expect(bulk.error?.errors).toEqual([{ pointer: "/ticketIds/0", detail: `no ticket ${ticket.id}` }]);
    // Nothing of Acme's changed.
    expect((await acme.client.GET("/v1/tickets/{ticketId}", path)).data).toMatchObject({ priority: "normal", deletedAt: null, version: 2 });
  });

  it("soft-deletes for admins only, hides deleted tickets, and restores them", async () => {
    const ticket = await openTicket(customer.client, { title: "To delete" });
    expect((await agent.client.DELETE("/v1/tickets/{ticketId}", ticketPath(ticket.id))).response.status).toBe(403);
    expect((await acme.client.DELETE("/v1/tickets/{ticketId}", ticketPath(ticket.id))).response.status).toBe(204);
    expect((await customer.client.GET("/v1/tickets/{ticketId}", ticketPath(ticket.id))).response.status).toBe(404);
    expect((await agent.client.GET("/v1/tickets/{ticketId}", ticketPath(ticket.id))).response.status).toBe(404);
    const deleted = await acme.client.GET("/v1/tickets", { params: { query: { deleted: true } } });
    expect(deleted.data!.data.map((t) => t.id)).toContain(ticket.id);
    const restored = await acme.client.POST("/v1/tickets/{ticketId}/restore", ticketPath(ticket.id));
    expect(restored.data).toMatchObject({ id: ticket.id, deletedAt: null });
    expect((await customer.client.GET("/v1/tickets/{ticketId}", ticketPath(ticket.id))).response.status).toBe(200);
  });
});

describe("bulk changes", () => {
  it("apply one change set to many tickets with a result per ticket", async () => {
    const tickets = await Promise.all([1, 2, 3].map((i) => openTicket(acme.client, { title: `Bulk ${i}`, tags: ["keep", "drop"] })));
    const { data } = await agent.client.POST("/v1/tickets/bulk", {
      body: { ticketIds: tickets.map((t) => t.id), changes: { status: "pending", assigneeId: agent.user.id, addTags: ["Triaged"], removeTags: ["drop"] } },
    });
    expect(data!.results.map((r) => r.result)).toEqual(["updated", "updated", "updated"]);
    for (const result of data!.results) expect(result.ticket).toMatchObject({ status: "pending", assigneeId: agent.user.id, tags: ["keep", "triaged"] });
  });

  it("are all or nothing: one ticket that cannot take the change leaves every ticket untouched", async () => {
    const movable = await openTicket(acme.client, { title: "Movable" });
    const closed = await openTicket(acme.client, { title: "Closed" });
    await agent.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(closed.id), body: { status: "solved" } });
    await agent.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(closed.id), body: { status: "closed" } });
    const { response, error } = await agent.client.POST("/v1/tickets/bulk", { body: { ticketIds: [movable.id, closed.id], changes: { status: "pending", priority: "urgent" } } });
    expect(response.status).toBe(409);
    expect(error?.errors).toEqual([{ pointer: "/ticketIds/1", detail: "A closed ticket cannot become pending; closed is final." }]);
    expect((await agent.client.GET("/v1/tickets/{ticketId}", ticketPath(movable.id))).data).toMatchObject({ status: "open", priority: "normal", version: 1 });

    // A bad assignee found midway also rolls back the tickets already changed.
    const a = await openTicket(acme.client);
    const b = await openTicket(acme.client);
    const badAssignee = await agent.client.POST("/v1/tickets/bulk", { body: { ticketIds: [a.id, b.id], changes: { priority: "low", assigneeId: customer.user.id } } });
    expect(badAssignee.response.status).toBe(400);
    expect((await agent.client.GET("/v1/tickets/{ticketId}", ticketPath(a.id))).data?.priority).toBe("normal");
  });
});

describe("stats", () => {
  it("count by status, priority and assignee, unassigned and overdue", async () => {
    const tenant = await signUp(server);
    const helper = await addMember(server, tenant, "agent");
    await openTicket(tenant.client, { title: "a", priority: "urgent", assigneeId: helper.user.id });
    await openTicket(tenant.client, { title: "b", dueAt: "2001-01-01T00:00:00Z" });
    const solved = await openTicket(tenant.client, { title: "c" });
    await tenant.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(solved.id), body: { status: "solved" } });
    const { data } = await helper.client.GET("/v1/tickets/stats");
    expect(data).toEqual({
      total: 3,
      byStatus: { open: 2, pending: 0, on_hold: 0, solved: 1, closed: 0 },
      byPriority: { low: 0, normal: 1, high: 0, urgent: 1 },
      byAssignee: [{ assigneeId: helper.user.id, count: 1 }],
      unassigned: 1,
      overdue: 1,
    });
    expect((await customer.client.GET("/v1/tickets/stats")).response.status).toBe(403);
  });

  it("are read in one statement, holding one pool connection", async () => {
    const quiet = await startServer({ workers: false, database: { poolSize: 5, connectionTimeoutMs: 5_000, statementTimeoutMs: 12_345, idleInTransactionTimeoutSeconds: 60 } });
    try {
      const tenant = await signUp(quiet);
      await openTicket(tenant.client, { title: "a", priority: "high" });
      expect((await tenant.client.GET("/v1/tickets/stats")).data?.total).toBe(1); // warms the session cache
      let checkouts = 0;
      const count = () => void checkouts++;
      quiet.database.pool.on("acquire", count);
      const { data } = await tenant.client.GET("/v1/tickets/stats");
      quiet.database.pool.off("acquire", count);
      expect(data).toMatchObject({ total: 1, byPriority: { high: 1 }, unassigned: 1 });
      expect(checkouts).toBe(1);
      // The configured statement timeout is what the server enforces on the pool's connections.
      expect((await quiet.database.pool.query("SHOW statement_timeout")).rows[0]).toEqual({ statement_timeout: "12345ms" });
    } finally {
      await quiet.close();
    }
  });
});
