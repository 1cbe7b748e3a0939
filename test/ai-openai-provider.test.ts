// The OpenAI-compatible provider through the real server, pointed at a loopback server that speaks
// chat.completions with json_schema output: triage, summaries and QA reviews record its provider and
// model; it retries after 429 and 500 and after a timeout; a model that keeps failing or answers off
// the schema is a 502 problem, never a 500.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { helpdesk, type Helpdesk } from "./support/fixtures.ts";
import { openTicket, ticketPath } from "./support/tickets.ts";
import { eventually } from "./support/webhook-receiver.ts";
import { FAKE_MODEL, startFakeOpenAi, type FakeOpenAi } from "./support/fake-openai.ts";

let model: FakeOpenAi;
let server: TestServer;
let desk: Helpdesk;

beforeAll(async () => {
  model = await startFakeOpenAi();
  server = await startServer({ ai: { baseUrl: model.baseUrl, apiKey: "sk-test-key", model: "gpt-test", timeoutMs: 400, maxRetries: 2, retryBaseMs: 10 } });
  desk = await helpdesk(server);
  const skilled = await desk.owner.client.PATCH("/v1/users/{userId}", { params: { path: { userId: desk.agent.user.id } }, body: { skills: ["billing", "german"] } });
  expect(skilled.error, JSON.stringify(skilled.error)).toBeUndefined();
});
afterAll(async () => {
  await server?.close();
  await model?.close();
});

describe("the OpenAI-compatible provider", () => {
  it("triages through chat.completions with a strict json_schema, keeping only the tenant's skills", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Rechnung doppelt", description: "Doppelt abgebucht!" });
    const triage = await eventually(async () => {
      const { data, response } = await desk.agent.client.GET("/v1/tickets/{ticketId}/triage", ticketPath(ticket.id));
      expect(response.status).toBe(200);
      return data!;
    });
    expect(triage).toMatchObject({ provider: "openai-compatible", model: FAKE_MODEL, language: "de", category: "billing", suggestedPriority: "high", skills: ["billing"] });
    // The model's "Billing" is matched to the vocabulary's spelling.
    expect(triage.confidence.skills).toEqual({ billing: 0.8 });
    const request = model.requests.find((candidate) => candidate.body.response_format.json_schema.name === "docket_triage")!;
    expect(request.headers.authorization).toBe("Bearer sk-test-key");
    expect(request.body.model).toBe("gpt-test");
    expect(request.body.response_format).toMatchObject({ type: "json_schema", json_schema: { strict: true, schema: { type: "object", additionalProperties: false } } });
    expect(request.body.messages.at(-1)!.content).toContain("Rechnung doppelt");
    expect(request.body.messages.at(-1)!.content).toContain("german");
  });

  it("retries after a 429 and a 500, then answers", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Charged twice" });
    const before = model.count("docket_summary");
    model.next("docket_summary", "429", "500");
    const { data, error } = await desk.agent.client.POST("/v1/tickets/{ticketId}/summary", ticketPath(ticket.id));
    expect(error, JSON.stringify(error)).toBeUndefined();
    expect(data).toMatchObject({ provider: "openai-compatible", model: FAKE_MODEL, problem: "The customer was charged twice." });
    expect(data!.entities.orderNumbers).toEqual(["INV-20931"]);
    expect(model.count("docket_summary") - before).toBe(3);
  });

  it("gives up on a request that hangs past the timeout and asks again", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Slow model" });
    const before = model.count("docket_summary");
    model.next("docket_summary", "hang");
    const { data, error } = await desk.agent.client.POST("/v1/tickets/{ticketId}/summary", ticketPath(ticket.id));
    expect(error, JSON.stringify(error)).toBeUndefined();
    expect(data!.provider).toBe("openai-compatible");
    expect(model.count("docket_summary") - before).toBe(2);
  });

  it("answers 502 ai_unavailable when every attempt fails, and when the answer does not fit the schema", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Broken model" });
    model.next("docket_summary", "500", "500", "500");
    const failed = await desk.agent.client.POST("/v1/tickets/{ticketId}/summary", ticketPath(ticket.id));
    expect(failed.response.status).toBe(502);
    expect(failed.error).toMatchObject({ code: "ai_unavailable" });
    model.next("docket_summary", "off-schema");
    const offSchema = await desk.agent.client.POST("/v1/tickets/{ticketId}/summary", ticketPath(ticket.id));
    expect(offSchema.response.status).toBe(502);
    expect(offSchema.error!.detail).toContain("schema");
    // Nothing was stored by either.
    expect((await desk.agent.client.GET("/v1/tickets/{ticketId}/summary", ticketPath(ticket.id))).response.status).toBe(404);
  });

  it("scores QA reviews with the model, in the catalogue's order", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Help please" });
    await desk.agent.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "Hi! Happy to help." } });
    const { data, error } = await desk.agent.client.POST("/v1/qa-reviews", { body: { ticketId: ticket.id } });
    expect(error, JSON.stringify(error)).toBeUndefined();
    expect(data).toMatchObject({ provider: "openai-compatible", model: FAKE_MODEL, score: 85 });
    expect(data!.categories.map((category) => category.category)).toEqual(["greeting", "tone"]);
  });
});
