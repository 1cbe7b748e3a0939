import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { helpdesk, type Member, type SignedUpTenant } from "./support/fixtures.ts";
import { openTicket, ticketPath } from "./support/tickets.ts";

let server: TestServer;
let acme: SignedUpTenant;
let agent: Member;
let customer: Member;

beforeAll(async () => {
  server = await startServer();
  ({ owner: acme, agent, customer } = await helpdesk(server));
});
afterAll(async () => {
  await server.close();
});

const comments = (ticketId: string) => ({ params: { path: { ticketId }, query: {} } });
const one = (ticketId: string, commentId: string) => ({ params: { path: { ticketId, commentId } } });

describe("threads", () => {
  it("keeps public and internal comments, with replies to top-level comments", async () => {
    const ticket = await openTicket(customer.client, { title: "VPN drops" });
    const question = (await customer.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "It drops every hour." } })).data!;
    const note = (await agent.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "Known issue, see INC-4", internal: true } })).data!;
    const reply = await agent.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "Which client version?", parentId: question.id } });
    expect(reply.data).toMatchObject({ parentId: question.id, internal: false, authorId: agent.user.id });

    const replyToReply = await agent.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "x", parentId: reply.data!.id } });
    expect(replyToReply.response.status).toBe(400);
    const publicInInternal = await agent.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "x", parentId: note.id } });
    expect(publicInInternal.error?.errors).toEqual([{ pointer: "/internal", detail: "must be true: the thread is internal" }]);

    const agentView = await agent.client.GET("/v1/tickets/{ticketId}/comments", comments(ticket.id));
    expect(agentView.data!.data.map((c) => c.body)).toEqual(["It drops every hour.", "Known issue, see INC-4", "Which client version?"]);
    const customerView = await customer.client.GET("/v1/tickets/{ticketId}/comments", comments(ticket.id));
    expect(customerView.data!.data.map((c) => c.body)).toEqual(["It drops every hour.", "Which client version?"]);
    const thread = await agent.client.GET("/v1/tickets/{ticketId}/comments", { params: { path: { ticketId: ticket.id }, query: { parentId: question.id } } });
    expect(thread.data!.data.map((c) => c.id)).toEqual([reply.data!.id]);
  });

  it("hides internal comments from users entirely", async () => {
    const ticket = await openTicket(customer.client);
    const internal = await customer.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "x", internal: true } });
    expect(internal.response.status).toBe(403);
    const note = (await agent.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "secret", internal: true } })).data!;
    const reply = await customer.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "x", parentId: note.id } });
    expect(reply.response.status).toBe(400);
    expect((await customer.client.PATCH("/v1/tickets/{ticketId}/comments/{commentId}", { ...one(ticket.id, note.id), body: { body: "x" } })).response.status).toBe(404);
    const activity = await customer.client.GET("/v1/tickets/{ticketId}/activity", comments(ticket.id));
    expect(JSON.stringify(activity.data)).not.toContain("secret");
    const agentActivity = await agent.client.GET("/v1/tickets/{ticketId}/activity", comments(ticket.id));
    expect(JSON.stringify(agentActivity.data)).toContain("secret");
  });

  it("lets the author edit (marked edited) and the author or an admin delete, leaving a placeholder", async () => {
    const ticket = await openTicket(customer.client);
    const comment = (await customer.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "typo" } })).data!;
    expect((await agent.client.PATCH("/v1/tickets/{ticketId}/comments/{commentId}", { ...one(ticket.id, comment.id), body: { body: "hijack" } })).response.status).toBe(403);
    const edited = await customer.client.PATCH("/v1/tickets/{ticketId}/comments/{commentId}", { ...one(ticket.id, comment.id), body: { body: "fixed" } });
    expect(edited.data).toMatchObject({ body: "fixed", editedAt: expect.any(String) });

    expect((await agent.client.DELETE("/v1/tickets/{ticketId}/comments/{commentId}", one(ticket.id, comment.id))).response.status).toBe(403);
    expect((await acme.client.DELETE("/v1/tickets/{ticketId}/comments/{commentId}", one(ticket.id, comment.id))).response.status).toBe(204);
    const listed = await customer.client.GET("/v1/tickets/{ticketId}/comments", comments(ticket.id));
    expect(listed.data!.data).toEqual([expect.objectContaining({ id: comment.id, deleted: true, body: "", deletedAt: expect.any(String) })]);
  });

  it("replays a comment retried with the same Idempotency-Key", async () => {
    const ticket = await openTicket(customer.client);
    const send = () => customer.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "Once" }, headers: { "idempotency-key": "comment-once" } });
    const [a, b] = [await send(), await send()];
    expect(b.data).toEqual(a.data);
    expect(b.response.headers.get("idempotent-replayed")).toBe("true");
    expect((await customer.client.GET("/v1/tickets/{ticketId}/comments", comments(ticket.id))).data!.data).toHaveLength(1);
  });
});

describe("what comments do to their ticket", () => {
  it("records an agent's first public comment as the first response", async () => {
    const ticket = await openTicket(customer.client);
    await agent.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "internal first", internal: true } });
    expect((await agent.client.GET("/v1/tickets/{ticketId}", ticketPath(ticket.id))).data?.firstResponseAt).toBeNull();
    const answer = (await agent.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "On it" } })).data!;
    await agent.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "Second answer" } });
    expect((await agent.client.GET("/v1/tickets/{ticketId}", ticketPath(ticket.id))).data?.firstResponseAt).toBe(answer.createdAt);
  });

  it("reopens a solved ticket when its requester comments publicly, and refuses comments on closed ones", async () => {
    const ticket = await openTicket(customer.client);
    await agent.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { status: "solved" } });
    await agent.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "Glad it works" } });
    expect((await agent.client.GET("/v1/tickets/{ticketId}", ticketPath(ticket.id))).data?.status).toBe("solved");
    await customer.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "It broke again" } });
    expect((await agent.client.GET("/v1/tickets/{ticketId}", ticketPath(ticket.id))).data).toMatchObject({ status: "open", solvedAt: null });

    await agent.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { status: "solved" } });
    await agent.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { status: "closed" } });
    const late = await customer.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "Hello?" } });
    expect(late.response.status).toBe(409);
    expect(late.error?.code).toBe("ticket_closed");
  });
});

describe("what a requester can observe of internal activity", () => {
  it("an internal comment moves neither the ticket's ETag, version nor updatedAt", async () => {
    const ticket = await openTicket(customer.client, { title: "Laptop fan loud" });
    const before = await customer.client.GET("/v1/tickets/{ticketId}", ticketPath(ticket.id));
    const etag = before.response.headers.get("etag")!;

    await agent.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "Probably the warranty case", internal: true } });
    const after = await customer.client.GET("/v1/tickets/{ticketId}", ticketPath(ticket.id));
    expect(after.response.headers.get("etag")).toBe(etag);
    expect(after.data).toMatchObject({ version: before.data!.version, updatedAt: before.data!.updatedAt });
    // The requester's conditional change still applies: no spurious 412.
    const solved = await customer.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { status: "solved" }, headers: { "if-match": etag } });
    expect(solved.response.status).toBe(200);

    // A public comment is activity the requester sees: that one moves the ETag.
    await agent.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "Fixed under warranty" } });
    const afterPublic = await customer.client.GET("/v1/tickets/{ticketId}", ticketPath(ticket.id));
    expect(afterPublic.response.headers.get("etag")).not.toBe(solved.response.headers.get("etag"));
  });
});
