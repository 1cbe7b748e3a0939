// Summaries and QA reviews through the real server with the local provider: per-audience summaries
// (a requester's is never built from internal notes), staleness, entities; QA reviews scored on
// AutoQA's categories with evidence, decided by an admin, listed and filtered; none of it shown to
// the requester.
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Schemas } from "../sdk/index.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { helpdesk, type Helpdesk } from "./support/fixtures.ts";
import { comment, openTicket, ticketPath } from "./support/tickets.ts";
import { eventually } from "./support/webhook-receiver.ts";

let server: TestServer;
let desk: Helpdesk;

beforeAll(async () => {
  server = await startServer();
  desk = await helpdesk(server);
});
afterAll(async () => {
  await server?.close();
});

async function summarize(client: Helpdesk["agent"]["client"], ticketId: string) {
  const { data, error, response } = await client.POST("/v1/tickets/{ticketId}/summary", ticketPath(ticketId));
  expect(error, JSON.stringify(error)).toBeUndefined();
  expect(response.status).toBe(200);
  return data!;
}

describe("summaries", () => {
  let ticketId: string;

  beforeAll(async () => {
    const ticket = await openTicket(desk.customer.client, {
      title: "Blender never arrived",
      description: "Hello, my order #A-55123 placed on 3 March 2025 never arrived. I paid $129.99 for the Acme Blender Pro. Where is it?",
    });
    ticketId = ticket.id;
    await comment(desk.agent.client, ticketId, "Hi, sorry about that. I have contacted the courier and escalated the case. Could you confirm your delivery address?");
    await comment(desk.agent.client, ticketId, "Courier confirms loss; refund approved under reference RMA-77881.", true);
  });

  it("gives staff a summary of the whole discussion, internal notes included, in at most 100 words with entities", async () => {
    const summary = await summarize(desk.agent.client, ticketId);
    expect(summary).toMatchObject({ ticketId, audience: "staff", stale: false, provider: "local" });
    expect(summary.summary.split(/\s+/).length).toBeLessThanOrEqual(100);
    for (const part of [summary.problem, summary.actions, summary.status, summary.nextStep]) expect(part.length).toBeGreaterThan(0);
    expect(summary.problem).toContain("Blender never arrived");
    expect(summary.entities.orderNumbers).toEqual(expect.arrayContaining(["A-55123", "RMA-77881"]));
    expect(summary.entities.amounts).toContain("$129.99");
    expect(summary.entities.dates.join(" ")).toContain("March 2025");
    // The stored one, as generated.
    const stored = await desk.owner.client.GET("/v1/tickets/{ticketId}/summary", ticketPath(ticketId));
    expect(stored.data).toMatchObject({ summary: summary.summary, coveredEventId: summary.coveredEventId, stale: false });
  });

  it("never builds the requester's summary from internal notes", async () => {
    const none = await desk.customer.client.GET("/v1/tickets/{ticketId}/summary", ticketPath(ticketId));
    expect(none.response.status).toBe(404);
    const summary = await summarize(desk.customer.client, ticketId);
    expect(summary.audience).toBe("requester");
    expect(JSON.stringify(summary)).not.toContain("RMA-77881");
    expect(JSON.stringify(summary)).not.toContain("Courier confirms");
    expect(summary.entities.orderNumbers).toContain("A-55123");
    // The staff one is not theirs.
    const theirs = await desk.customer.client.GET("/v1/tickets/{ticketId}/summary", ticketPath(ticketId));
    expect(theirs.data!.audience).toBe("requester");
  });

  it("turns stale when a newer event the audience may see arrives, and names the last event it covers", async () => {
    const activity = await desk.agent.client.GET("/v1/tickets/{ticketId}/activity", { params: { path: { ticketId }, query: { limit: 100 } } });
    const covered = (await desk.agent.client.GET("/v1/tickets/{ticketId}/summary", ticketPath(ticketId))).data!;
    const seen = activity.data!.data.filter((event) => !["ticket.triaged", "ticket.summarized"].includes(event.type)).map((event) => event.id);
    expect(seen).toContain(covered.coveredEventId);
    // An internal note: stale for staff, not for the requester (who cannot see it).
    await comment(desk.agent.client, ticketId, "Waiting on finance.", true);
    expect((await desk.agent.client.GET("/v1/tickets/{ticketId}/summary", ticketPath(ticketId))).data!.stale).toBe(true);
    expect((await desk.customer.client.GET("/v1/tickets/{ticketId}/summary", ticketPath(ticketId))).data!.stale).toBe(false);
    // A public reply: stale for both; generating again makes it fresh.
    await comment(desk.customer.client, ticketId, "My address is 12 High Street, Leeds.");
    expect((await desk.customer.client.GET("/v1/tickets/{ticketId}/summary", ticketPath(ticketId))).data!.stale).toBe(true);
    expect((await summarize(desk.agent.client, ticketId)).stale).toBe(false);
    expect((await desk.agent.client.GET("/v1/tickets/{ticketId}/summary", ticketPath(ticketId))).data!.stale).toBe(false);
  });

  it("answers 404 for a ticket the caller may not see", async () => {
    const other = await helpdesk(server);
    expect((await other.customer.client.POST("/v1/tickets/{ticketId}/summary", ticketPath(ticketId))).response.status).toBe(404);
    expect((await other.agent.client.GET("/v1/tickets/{ticketId}/summary", ticketPath(ticketId))).response.status).toBe(404);
  });
});

describe("QA reviews", () => {
  let ticketId: string;
  let goodReply: Schemas["Comment"];
  let review: Schemas["QaReview"];

  beforeAll(async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Refund for my order", description: "My order never arrived and I want a refund." });
    ticketId = ticket.id;
    goodReply = await comment(
      desk.agent.client,
      ticketId,
      "Hi, I'm sorry about the delay with your order. I have refunded the full amount; you will see it in 3-5 days. Let me know if there is anything else. Best regards",
    );
  });

  it("scores an agent's replies on AutoQA's eight categories with quoted evidence, pending a reviewer", async () => {
    const { data, error, response } = await desk.agent.client.POST("/v1/qa-reviews", { body: { ticketId } });
    expect(error, JSON.stringify(error)).toBeUndefined();
    expect(response.status).toBe(201);
    review = data!;
    expect(review).toMatchObject({ ticketId, commentId: null, agentId: desk.agent.user.id, requestedById: desk.agent.user.id, status: "pending", provider: "local", reviewerId: null });
    expect(review.categories.map((category) => category.category)).toEqual(["greeting", "empathy", "spelling_grammar", "closing", "solution_offered", "tone", "readability", "comprehension"]);
    const by = Object.fromEntries(review.categories.map((category) => [category.category, category]));
    expect(by.greeting!.evidence[0]).toContain("Hi");
    expect(by.empathy!.evidence.join(" ")).toContain("sorry");
    expect(by.solution_offered!.evidence.join(" ")).toContain("refunded");
    expect(by.closing!.evidence.join(" ")).toContain("Let me know");
    expect(review.score).toBeGreaterThanOrEqual(70);
  });

  it("scores a poor reply low, and reviews one reply on its own", async () => {
    const poor = await comment(desk.agent.client, ticketId, "as i said read the manual. its obviusly you're fault!!");
    const { data } = await desk.owner.client.POST("/v1/qa-reviews", { body: { ticketId, commentId: poor.id } });
    expect(data).toMatchObject({ commentId: poor.id, agentId: desk.agent.user.id });
    const by = Object.fromEntries(data!.categories.map((category) => [category.category, category]));
    expect(by.greeting!.score).toBeLessThan(50);
    expect(by.tone!.score).toBeLessThan(50);
    expect(by.spelling_grammar!.evidence.join(" ")).toContain("obviusly");
    expect(data!.score).toBeLessThan(review.score);
  });

  it("lets an admin approve or reject with a comment; agents may not decide", async () => {
    const denied = await desk.agent.client.PATCH("/v1/qa-reviews/{reviewId}", { params: { path: { reviewId: review.id } }, body: { status: "approved" } });
    expect(denied.response.status).toBe(403);
    const { data } = await desk.owner.client.PATCH("/v1/qa-reviews/{reviewId}", { params: { path: { reviewId: review.id } }, body: { status: "approved", comment: "Model answer." } });
    expect(data).toMatchObject({ status: "approved", reviewComment: "Model answer.", reviewerId: desk.owner.admin.id });
    expect(data!.reviewedAt).toBeTruthy();
  });

  it("lists and filters by agent, ticket, status and score", async () => {
    const list = async (query: Record<string, string | number>) => (await desk.owner.client.GET("/v1/qa-reviews", { params: { query } })).data!.data.map((item) => item.id);
    expect(await list({ ticketId })).toHaveLength(2);
    expect(await list({ agentId: desk.agent.user.id, status: "approved" })).toEqual([review.id]);
    expect(await list({ ticketId, status: "pending" })).toHaveLength(1);
    expect(await list({ ticketId, minScore: review.score })).toEqual([review.id]);
    expect(await list({ ticketId, maxScore: review.score - 1 })).toHaveLength(1);
    const page = await desk.owner.client.GET("/v1/qa-reviews", { params: { query: { ticketId, limit: 1 } } });
    expect(page.data!.nextCursor).toBeTruthy();
  });

  it("answers 422 when there is no agent reply to review, and 404 for another tenant's review", async () => {
    const quiet = await openTicket(desk.customer.client, { title: "Nobody answered yet" });
    const nothing = await desk.agent.client.POST("/v1/qa-reviews", { body: { ticketId: quiet.id } });
    expect(nothing.response.status).toBe(422);
    expect(nothing.error).toMatchObject({ code: "nothing_to_review" });
    const notAReply = await desk.agent.client.POST("/v1/qa-reviews", { body: { ticketId, commentId: crypto.randomUUID() } });
    expect(notAReply.response.status).toBe(404);
    const other = await helpdesk(server);
    expect((await other.owner.client.GET("/v1/qa-reviews/{reviewId}", { params: { path: { reviewId: review.id } } })).response.status).toBe(404);
  });

  it("is never shown to the requester", async () => {
    expect((await desk.customer.client.GET("/v1/qa-reviews")).response.status).toBe(403);
    expect((await desk.customer.client.POST("/v1/qa-reviews", { body: { ticketId } })).response.status).toBe(403);
    expect((await desk.customer.client.GET("/v1/qa-reviews/{reviewId}", { params: { path: { reviewId: review.id } } })).response.status).toBe(403);
    const staff = await eventually(async () => {
      const { data } = await desk.agent.client.GET("/v1/tickets/{ticketId}/activity", { params: { path: { ticketId }, query: { limit: 100 } } });
      const types = data!.data.map((event) => event.type);
      expect(types).toContain("qa_review.decided");
      return types;
    });
    expect(staff).toContain("qa_review.created");
    const { data } = await desk.customer.client.GET("/v1/tickets/{ticketId}/activity", { params: { path: { ticketId }, query: { limit: 100 } } });
    expect(data!.data.map((event) => event.type).filter((type) => type.startsWith("qa_review") || type === "ticket.triaged")).toEqual([]);
  });
});
