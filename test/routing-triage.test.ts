// Routing after triage: rules read the ticket's language, category and sentiment, and a ticket
// whose triage fails (the model is down) is still routed, ROUTING_TRIAGE_WAIT_SECONDS later.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventsOfType, trail } from "./support/events.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { addMember, signUp } from "./support/fixtures.ts";
import { openTicket, ticketPath } from "./support/tickets.ts";
import { eventually } from "./support/webhook-receiver.ts";

let server: TestServer;
let modelDown: TestServer;

beforeAll(async () => {
  server = await startServer();
  // A model nobody answers at: every triage attempt fails.
  modelDown = await startServer({
    ai: { baseUrl: "http://127.0.0.1:9/v1", apiKey: undefined, model: "down", timeoutMs: 500, maxRetries: 0, retryBaseMs: 10 },
    routing: { triageWaitSeconds: 2 },
  });
});
afterAll(async () => {
  await server?.close();
  await modelDown?.close();
});

describe("routing after triage", () => {
  it("routes by the triage's language", async () => {
    const owner = await signUp(server);
    const customer = await addMember(server, owner, "user");
    const german = await addMember(server, owner, "agent");
    const team = (await owner.client.POST("/v1/groups", { body: { name: "DACH", memberIds: [german.user.id] } })).data!;
    await owner.client.POST("/v1/routing-rules", { body: { name: "German", conditions: { languages: ["de"] }, actions: { groupId: team.id, addTags: ["de"] } } });

    const ticket = await openTicket(customer.client, {
      title: "Mein Drucker druckt nicht mehr",
      description: "Hallo, seit gestern druckt mein Drucker keine Seiten mehr aus. Ich habe ihn schon neu gestartet, aber es hilft nicht. Können Sie mir bitte helfen?",
    });
    const routed = await eventually(async () => {
      const { data } = await owner.client.GET("/v1/tickets/{ticketId}", ticketPath(ticket.id));
      expect(data!.assigneeId).toBe(german.user.id);
      return data!;
    });
    expect(routed).toMatchObject({ groupId: team.id, tags: ["de"] });
    const [event] = await eventsOfType(server, owner.client, "ticket.routed", ticket.id);
    expect(event!.after).toMatchObject({ triaged: true });

    // An English ticket does not match the German rule.
    const english = await openTicket(customer.client, { title: "My printer stopped printing", description: "Since yesterday my printer prints nothing. Please help." });
    await eventually(async () => {
      const events = (await owner.client.GET("/v1/events", { params: { query: { ticketId: english.id, type: ["ticket.triaged"] } } })).data!.data;
      expect(events).toHaveLength(1);
    });
    // Routed (no rule matched: no routing event), and in no group.
    await eventually(async () => expect((await owner.client.GET("/v1/tickets/{ticketId}", ticketPath(english.id))).data!.groupId).toBeNull());
  });

  it("still routes a ticket whose triage failed, once the wait is over", async () => {
    const owner = await signUp(modelDown);
    const agent = await addMember(modelDown, owner, "agent");
    const team = (await owner.client.POST("/v1/groups", { body: { name: "All", memberIds: [agent.user.id] } })).data!;
    await owner.client.POST("/v1/routing-rules", { body: { name: "All", conditions: {}, actions: { groupId: team.id } } });
    // A rule on triage never matches a ticket without one.
    await owner.client.POST("/v1/routing-rules", { body: { name: "Angry", conditions: { sentiments: ["negative"] }, actions: { priority: "urgent" }, position: 1 } });

    const ticket = await openTicket(owner.client, { title: "This is terrible, nothing works!" });
    const assigned = await eventually(async () => {
      const { data } = await owner.client.GET("/v1/tickets/{ticketId}", ticketPath(ticket.id));
      expect(data!.assigneeId).toBe(agent.user.id);
      return data!;
    });
    expect(assigned.priority).toBe("normal");
    const { data: events } = await trail(server, owner.client, { ticketId: ticket.id, limit: 100 });
    expect(events.map((event) => event.type)).not.toContain("ticket.triaged");
    expect(events.find((event) => event.type === "ticket.routed")!.after).toMatchObject({ triaged: false, groupId: team.id });
  });
});
