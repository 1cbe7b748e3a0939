// Triage of new tickets in the background, with the local provider (the default): language,
// sentiment, intent, priority, the agents' skills and notes, stored once, shown to staff, evented
// as `ticket.triaged`, and never shown to the requester (REST, activity, webhooks, stream).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { addMember, helpdesk, type Helpdesk } from "./support/fixtures.ts";
import { openTicket, ticketPath } from "./support/tickets.ts";
import { eventually, startReceiver, verified, type Receiver } from "./support/webhook-receiver.ts";

let server: TestServer;
let receiver: Receiver;
let desk: Helpdesk;
let hookSecret: string;

beforeAll(async () => {
  server = await startServer();
  receiver = await startReceiver();
  desk = await helpdesk(server);
  // The vocabulary triage may suggest from: the agents' skills.
  await desk.owner.client.PATCH("/v1/users/{userId}", { params: { path: { userId: desk.agent.user.id } }, body: { skills: ["billing", "german", "networking"] } });
  const spanish = await addMember(server, desk.owner, "agent");
  await desk.owner.client.PATCH("/v1/users/{userId}", { params: { path: { userId: spanish.user.id } }, body: { skills: ["spanish", "login"] } });
  const hook = await desk.owner.client.POST("/v1/webhooks", { body: { url: receiver.url("/triage") } });
  expect(hook.error, JSON.stringify(hook.error)).toBeUndefined();
  hookSecret = hook.data!.secret;
});
afterAll(async () => {
  await receiver?.close();
  await server?.close();
});

async function triageOf(ticketId: string) {
  return eventually(async () => {
    const { data, response } = await desk.agent.client.GET("/v1/tickets/{ticketId}/triage", ticketPath(ticketId));
    expect(response.status).toBe(200);
    return data!;
  });
}

describe("triage with the local provider", () => {
  it("reads an angry English billing ticket: negative, billing, urgent, the billing skill, with notes and confidences", async () => {
    const ticket = await openTicket(desk.customer.client, {
      title: "Charged twice for my invoice",
      description: "Hi, my card was charged twice for invoice INV-20931 ($49.00). This is unacceptable, please refund me ASAP!",
    });
    const triage = await triageOf(ticket.id);
    expect(triage).toMatchObject({ ticketId: ticket.id, language: "en", sentiment: "negative", category: "billing", suggestedPriority: "urgent", provider: "local" });
    expect(triage.skills[0]).toBe("billing");
    expect(triage.sentimentScore).toBeLessThan(0);
    expect(triage.model).toBeTruthy();
    for (const field of ["language", "sentiment", "category", "priority"] as const) {
      expect(triage.confidence[field]).toBeGreaterThan(0);
      expect(triage.confidence[field]).toBeLessThanOrEqual(1);
    }
    expect(triage.confidence.skills.billing).toBeGreaterThan(0);
    expect(triage.notes.join(" ")).toContain("INV-20931");
  });

  it("reads other languages and matches language skills", async () => {
    const german = await openTicket(desk.customer.client, { title: "Rechnung doppelt abgebucht", description: "Hallo, meine Rechnung wurde doppelt abgebucht. Bitte erstatten Sie den Betrag." });
    const spanish = await openTicket(desk.customer.client, { title: "No puedo iniciar sesión", description: "La contraseña no funciona y mi cuenta está bloqueada." });
    const [de, es] = [await triageOf(german.id), await triageOf(spanish.id)];
    expect(de).toMatchObject({ language: "de", category: "billing" });
    expect(de.skills).toEqual(expect.arrayContaining(["german", "billing"]));
    expect(es).toMatchObject({ language: "es", category: "account_access" });
    expect(es.skills).toEqual(expect.arrayContaining(["spanish", "login"]));
    expect(de.notes.join(" ")).toContain("German");
  });

  it("announces ticket.triaged once, to staff and integrations, with the triage fields", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Thanks!", description: "Everything works great now, thank you so much." });
    await triageOf(ticket.id);
    const activity = await eventually(async () => {
      const { data } = await desk.agent.client.GET("/v1/tickets/{ticketId}/activity", ticketPath(ticket.id));
      const triaged = data!.data.filter((event) => event.type === "ticket.triaged");
      expect(triaged).toHaveLength(1);
      return triaged[0]!;
    });
    expect(activity).toMatchObject({ actor: { type: "system" }, entity: { type: "ticket", id: ticket.id } });
    expect(activity.after).toMatchObject({ sentiment: "positive", category: "feedback", suggestedPriority: "low", provider: "local" });
    // The webhook carries the same fields.
    const delivered = await eventually(async () => {
      const found = receiver.requests("/triage").map((request) => verified(hookSecret, request)).find((payload) => payload.type === "ticket.triaged" && (payload.data as { ticketId: string }).ticketId === ticket.id);
      expect(found).toBeTruthy();
      return found!;
    });
    expect((delivered.data as { after: Record<string, unknown> }).after).toMatchObject({ category: "feedback", language: "en" });
  });

  it("never acts twice on one ticket: a job run again finds the triage there and announces nothing", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Printer on fire", description: "The office printer is on fire, help!" });
    const first = await triageOf(ticket.id);
    // A replay of the same job (as after a crash between the write and the job's completion).
    const { TRIAGE_JOB } = await import("../src/modules/triage/job.ts");
    const { triageTasks } = await import("../src/modules/triage/job.ts");
    await triageTasks({ db: server.services.database.system.prisma, provider: server.services.ai, logger: server.services.logger })[TRIAGE_JOB]!({ tenantId: desk.owner.tenant.id, ticketId: ticket.id });
    const again = await triageOf(ticket.id);
    expect(again.createdAt).toBe(first.createdAt);
    const { data } = await desk.owner.client.GET("/v1/tickets/{ticketId}/activity", ticketPath(ticket.id));
    expect(data!.data.filter((event) => event.type === "ticket.triaged")).toHaveLength(1);
  });

  it("is never shown to the requester: 403 on the endpoint, hidden from their activity", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "My order never arrived", description: "Order #A-55123 is two weeks late." });
    await triageOf(ticket.id);
    const asked = await desk.customer.client.GET("/v1/tickets/{ticketId}/triage", ticketPath(ticket.id));
    expect(asked.response.status).toBe(403);
    const { data } = await desk.customer.client.GET("/v1/tickets/{ticketId}/activity", ticketPath(ticket.id));
    expect(data!.data.map((event) => event.type)).not.toContain("ticket.triaged");
  });

  it("answers 404 for another tenant's ticket", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Where is my parcel?" });
    await triageOf(ticket.id);
    const other = await helpdesk(server);
    const asked = await other.agent.client.GET("/v1/tickets/{ticketId}/triage", ticketPath(ticket.id));
    expect(asked.response.status).toBe(404);
  });
});
