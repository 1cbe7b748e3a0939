// Macros: an admin saves ticket changes and a comment; an agent applies them in one call, with
// the same checks and events as doing both by hand, If-Match and Idempotency-Key included.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { helpdesk, type Helpdesk } from "./support/fixtures.ts";
import { openTicket, ticketPath } from "./support/tickets.ts";
import { eventually } from "./support/webhook-receiver.ts";
import type { Schemas } from "../sdk/index.ts";

let server: TestServer;
let desk: Helpdesk;

beforeAll(async () => {
  server = await startServer();
  desk = await helpdesk(server);
});
afterAll(async () => {
  await server.close();
});

async function macro(body: Schemas["MacroCreate"]): Promise<Schemas["Macro"]> {
  const { data, error } = await desk.owner.client.POST("/v1/macros", { body });
  expect(error, JSON.stringify(error)).toBeUndefined();
  return data!;
}

const applyPath = (ticketId: string, macroId: string) => ({ params: { path: { ticketId, macroId } } });

describe("macros", () => {
  it("apply their changes and comment in one call, as if done by hand", async () => {
    const waiting = await macro({
      title: "Ask for details",
      changes: { status: "pending", priority: "high", addTags: ["needs-info"], assigneeId: desk.agent.user.id },
      comment: { body: "Could you send us a screenshot?" },
    });
    const ticket = await openTicket(desk.customer.client, { title: "It broke", tags: ["web"] });
    const { data, response } = await desk.agent.client.POST("/v1/tickets/{ticketId}/macros/{macroId}/apply", {
      ...applyPath(ticket.id, waiting.id),
      headers: { "if-match": `"${ticket.version}"` },
    });
    expect(response.status).toBe(200);
    expect(data!.ticket).toMatchObject({ status: "pending", priority: "high", tags: ["web", "needs-info"], assigneeId: desk.agent.user.id });
    expect(data!.comment).toMatchObject({ body: "Could you send us a screenshot?", internal: false, authorId: desk.agent.user.id });
    expect(response.headers.get("etag")).toBe(`"${data!.ticket.version}"`);

    // The requester sees the reply and the changes in the ticket's history, made by the agent.
    const comments = (await desk.customer.client.GET("/v1/tickets/{ticketId}/comments", ticketPath(ticket.id))).data!.data;
    expect(comments.map((comment) => comment.body)).toEqual(["Could you send us a screenshot?"]);
    const activity = await eventually(async () => {
      const events = (await desk.customer.client.GET("/v1/tickets/{ticketId}/activity", { params: { path: { ticketId: ticket.id }, query: { limit: 100 } } })).data!.data;
      expect(events.map((event) => event.type)).toEqual(expect.arrayContaining(["ticket.updated", "ticket.status_changed", "ticket.assigned", "comment.created"]));
      return events;
    });
    for (const event of activity.filter((item) => item.type !== "ticket.created")) expect(event.actor).toEqual({ type: "user", id: desk.agent.user.id });
  });

  it("refuse a stale If-Match (412) and change nothing; replay a retried Idempotency-Key", async () => {
    const solve = await macro({ title: "Solve with note", changes: { status: "solved" }, comment: { body: "Solved: duplicate of #1", internal: true } });
    const ticket = await openTicket(desk.customer.client, { title: "Again" });
    await desk.agent.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { priority: "low" } });
    const stale = await desk.agent.client.POST("/v1/tickets/{ticketId}/macros/{macroId}/apply", { ...applyPath(ticket.id, solve.id), headers: { "if-match": `"${ticket.version}"` } });
    expect(stale.response.status).toBe(412);
    expect((await desk.agent.client.GET("/v1/tickets/{ticketId}", ticketPath(ticket.id))).data!.status).toBe("open");

    const headers = { "idempotency-key": `solve-${ticket.id}` };
    const first = await desk.agent.client.POST("/v1/tickets/{ticketId}/macros/{macroId}/apply", { ...applyPath(ticket.id, solve.id), headers });
    expect(first.response.status).toBe(200);
    expect(first.data!.ticket.status).toBe("solved");
    const retry = await desk.agent.client.POST("/v1/tickets/{ticketId}/macros/{macroId}/apply", { ...applyPath(ticket.id, solve.id), headers });
    expect(retry.response.status).toBe(200);
    expect(retry.response.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.data).toEqual(first.data);
    // One internal note, which the requester never sees.
    expect((await desk.agent.client.GET("/v1/tickets/{ticketId}/comments", ticketPath(ticket.id))).data!.data).toHaveLength(1);
    expect((await desk.customer.client.GET("/v1/tickets/{ticketId}/comments", ticketPath(ticket.id))).data!.data).toHaveLength(0);
  });

  it("are all or nothing: a change the ticket cannot take leaves it and its comments untouched", async () => {
    const reopen = await macro({ title: "Close it", changes: { status: "closed" }, comment: { body: "Closing." } });
    const ticket = await openTicket(desk.customer.client, { title: "Open one" });
    const refused = await desk.agent.client.POST("/v1/tickets/{ticketId}/macros/{macroId}/apply", applyPath(ticket.id, reopen.id));
    expect(refused.response.status).toBe(409);
    expect(refused.error).toMatchObject({ code: "invalid_status_transition" });
    expect((await desk.agent.client.GET("/v1/tickets/{ticketId}/comments", ticketPath(ticket.id))).data!.data).toHaveLength(0);
  });

  it("are kept by admins, used by agents, and hidden from requesters", async () => {
    const kept = await macro({ title: "Thanks", description: "Say thanks", changes: {}, comment: { body: "Thank you!" } });
    expect((await desk.agent.client.GET("/v1/macros")).data!.data.map((item) => item.title)).toContain("Thanks");
    expect((await desk.agent.client.POST("/v1/macros", { body: { title: "Mine", changes: {} } })).response.status).toBe(403);
    expect((await desk.owner.client.POST("/v1/macros", { body: { title: "Thanks", changes: {} } })).response.status).toBe(409);
    const ticket = await openTicket(desk.customer.client, { title: "Mine" });
    expect((await desk.customer.client.POST("/v1/tickets/{ticketId}/macros/{macroId}/apply", applyPath(ticket.id, kept.id))).response.status).toBe(403);
    expect((await desk.customer.client.GET("/v1/macros/{macroId}", { params: { path: { macroId: kept.id } } })).response.status).toBe(403);

    const path = { params: { path: { macroId: kept.id } } };
    expect((await desk.owner.client.PATCH("/v1/macros/{macroId}", { ...path, body: { active: false } })).data!.active).toBe(false);
    const inactive = await desk.agent.client.POST("/v1/tickets/{ticketId}/macros/{macroId}/apply", applyPath(ticket.id, kept.id));
    expect(inactive.response.status).toBe(409);
    expect((await desk.owner.client.DELETE("/v1/macros/{macroId}", path)).response.status).toBe(204);
    expect((await desk.agent.client.POST("/v1/tickets/{ticketId}/macros/{macroId}/apply", applyPath(ticket.id, kept.id))).response.status).toBe(404);

    // The log records macros without their comment's words.
    const trail = await eventually(async () => {
      const events = (await desk.owner.client.GET("/v1/events", { params: { query: { type: ["macro.created", "macro.updated", "macro.deleted"], limit: 100 } } })).data!.data;
      expect(events.filter((event) => event.entity.id === kept.id)).toHaveLength(3);
      return events;
    });
    expect(JSON.stringify(trail)).not.toContain("Thank you!");
  });
});
