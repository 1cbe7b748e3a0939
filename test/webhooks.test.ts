// Webhooks end to end: endpoints through the API, deliveries to a real receiver on loopback,
// every delivery verified with the standardwebhooks library.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { addMember, signUp, type SignedUpTenant } from "./support/fixtures.ts";
import { openTicket } from "./support/tickets.ts";
import { eventually, startReceiver, verified, type Receiver } from "./support/webhook-receiver.ts";
import type { Schemas } from "../sdk/index.ts";

let server: TestServer;
let receiver: Receiver;
beforeAll(async () => {
  server = await startServer();
  receiver = await startReceiver();
});
afterAll(async () => {
  await server.close();
  await receiver.close();
});

let paths = 0;
async function subscribe(tenant: SignedUpTenant, body: Partial<Schemas["WebhookCreate"]> = {}): Promise<{ webhook: Schemas["WebhookWithSecret"]; path: string }> {
  const path = `/hook-${++paths}`;
  const { data, error, response } = await tenant.client.POST("/v1/webhooks", { body: { url: receiver.url(path), ...body } });
  expect(error, JSON.stringify(error)).toBeUndefined();
  expect(response.status).toBe(201);
  return { webhook: data!, path };
}

describe("webhook endpoints", () => {
  it("shows the secret once, at creation: whsec_ and 32 random bytes", async () => {
    const tenant = await signUp(server);
    const { webhook } = await subscribe(tenant, { description: "CRM", eventTypes: ["ticket.created"] });
    expect(webhook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(webhook.secret.slice(6), "base64")).toHaveLength(32);
    expect(webhook).toMatchObject({ description: "CRM", eventTypes: ["ticket.created"], active: true, disabledReason: null });

    const got = await tenant.client.GET("/v1/webhooks/{webhookId}", { params: { path: { webhookId: webhook.id } } });
    expect(got.data).not.toHaveProperty("secret");
    const list = await tenant.client.GET("/v1/webhooks");
    expect(list.data!.data.map((item) => item.id)).toContain(webhook.id);
    expect(JSON.stringify(list.data)).not.toContain(webhook.secret);
  });

  it("refuses unknown event types and non-http URLs", async () => {
    const tenant = await signUp(server);
    const badType = await tenant.client.POST("/v1/webhooks", { body: { url: receiver.url("/x"), eventTypes: ["ticket.exploded"] } });
    expect(badType.response.status).toBe(400);
    expect(badType.error!.errors![0]).toMatchObject({ pointer: "/eventTypes/0" });
    const badUrl = await tenant.client.POST("/v1/webhooks", { body: { url: "ftp://example.com/hook" } });
    expect(badUrl.response.status).toBe(400);
  });

  it("refuses URLs that reach internal networks, naming the setting that would allow them", async () => {
    const tenant = await signUp(server);
    // The test server allows only loopback (127.0.0.0/8, ::1), as a developer would.
    for (const url of ["http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data/", "http://[::ffff:192.168.1.1]/", "http://[fc00::1]/", "http://100.64.0.1/"]) {
      const { response, error } = await tenant.client.POST("/v1/webhooks", { body: { url } });
      expect(response.status, url).toBe(422);
      expect(error).toMatchObject({ code: "webhook_url_refused", errors: [{ pointer: "/url" }] });
      expect(error!.detail).toContain("WEBHOOK_ALLOWED_NETWORKS");
    }
    const { webhook } = await subscribe(tenant);
    const moved = await tenant.client.PATCH("/v1/webhooks/{webhookId}", { params: { path: { webhookId: webhook.id } }, body: { url: "http://0177.0.0.1:9/" } });
    expect(moved.response.status).toBe(200); // loopback is allow-listed here; 0177.0.0.1 is 127.0.0.1
    const refused = await tenant.client.PATCH("/v1/webhooks/{webhookId}", { params: { path: { webhookId: webhook.id } }, body: { url: "http://172.16.0.1/" } });
    expect(refused.response.status).toBe(422);
  });

  it("lists the event types to subscribe to", async () => {
    const tenant = await signUp(server);
    const { data } = await tenant.client.GET("/v1/webhooks/event-types");
    expect(data!.data).toContainEqual({ type: "ticket.created", description: expect.any(String) });
    expect(data!.data.map((item) => item.type)).not.toContain("webhook.test");
  });

  it("records every change to an endpoint as an event, without the secret", async () => {
    const tenant = await signUp(server);
    const { webhook } = await subscribe(tenant);
    const path = { params: { path: { webhookId: webhook.id } } };
    await tenant.client.PATCH("/v1/webhooks/{webhookId}", { ...path, body: { description: "renamed" } });
    const rotated = await tenant.client.POST("/v1/webhooks/{webhookId}/rotate-secret", path);
    await tenant.client.DELETE("/v1/webhooks/{webhookId}", path);
    const trail = await eventually(async () => {
      const { data } = await tenant.client.GET("/v1/events", { params: { query: { type: ["webhook.created", "webhook.updated", "webhook.secret_rotated", "webhook.deleted"], limit: 100 } } });
      expect(data!.data).toHaveLength(4);
      return data!.data;
    });
    expect(trail.map((event) => event.type)).toEqual(["webhook.created", "webhook.updated", "webhook.secret_rotated", "webhook.deleted"]);
    const text = JSON.stringify(trail);
    expect(text).not.toContain(webhook.secret);
    expect(text).not.toContain(rotated.data!.secret);
    expect(text).not.toContain("whsec_");
  });

  it("is for admins only; another tenant's endpoint is a 404", async () => {
    const tenant = await signUp(server);
    const { webhook } = await subscribe(tenant);
    for (const role of ["agent", "user"] as const) {
      const member = await addMember(server, tenant, role);
      const list = await member.client.GET("/v1/webhooks");
      expect(list.response.status).toBe(403);
      const create = await member.client.POST("/v1/webhooks", { body: { url: receiver.url("/nope") } });
      expect(create.response.status).toBe(403);
      const ping = await member.client.POST("/v1/webhooks/{webhookId}/ping", { params: { path: { webhookId: webhook.id } } });
      expect(ping.response.status).toBe(403);
    }
    const other = await signUp(server);
    const foreign = await other.client.GET("/v1/webhooks/{webhookId}", { params: { path: { webhookId: webhook.id } } });
    expect(foreign.response.status).toBe(404);
    const foreignDeliveries = await other.client.GET("/v1/webhooks/{webhookId}/deliveries", { params: { path: { webhookId: webhook.id } } });
    expect(foreignDeliveries.response.status).toBe(404);
  });
});

describe("deliveries", () => {
  it("delivers a new ticket, signed, with the event's type and ids", async () => {
    const tenant = await signUp(server);
    const { webhook, path } = await subscribe(tenant, { eventTypes: ["ticket.created"] });
    const ticket = await openTicket(tenant.client, { title: "Webhook me" });
    const [request] = await receiver.waitFor(path, 1);
    const payload = verified(webhook.secret, request!);
    expect(payload.type).toBe("ticket.created");
    expect(payload.data).toMatchObject({ type: "ticket.created", entity: { type: "ticket", id: ticket.id }, ticketId: ticket.id, actor: { type: "user", id: tenant.admin.id } });
    expect(request!.headers["webhook-id"]).toBe(payload.data.id);

    const deliveries = await eventually(async () => {
      const { data } = await tenant.client.GET("/v1/webhooks/{webhookId}/deliveries", { params: { path: { webhookId: webhook.id } } });
      expect(data!.data[0]).toMatchObject({ status: "succeeded", attemptCount: 1, eventId: payload.data.id, eventType: "ticket.created" });
      return data!.data;
    });
    const detail = await tenant.client.GET("/v1/webhooks/{webhookId}/deliveries/{deliveryId}", { params: { path: { webhookId: webhook.id, deliveryId: deliveries[0]!.id } } });
    expect(detail.data!.attempts).toEqual([expect.objectContaining({ number: 1, outcome: "success", responseStatus: 204 })]);
  });

  it("sends a test event to the pinged endpoint only, the way real events travel", async () => {
    const tenant = await signUp(server);
    const pinged = await subscribe(tenant, { eventTypes: ["ticket.created"] });
    // Subscribed to every type, so it would hear of a test event if one leaked to it.
    const bystander = await subscribe(tenant, { eventTypes: ["*"] });
    const { data, response } = await tenant.client.POST("/v1/webhooks/{webhookId}/ping", { params: { path: { webhookId: pinged.webhook.id } } });
    expect(response.status).toBe(202);
    const [request] = await receiver.waitFor(pinged.path, 1);
    const payload = verified(pinged.webhook.secret, request!);
    expect(payload).toMatchObject({ type: "webhook.test", data: { id: data!.eventId, entity: { type: "webhook", id: pinged.webhook.id } } });
    // The bystander hears of the next real event, and never of the test event before it.
    await openTicket(tenant.client);
    const types = await eventually(async () => {
      const types = receiver.requests(bystander.path).map((request) => verified(bystander.webhook.secret, request).type);
      expect(types).toContain("ticket.created");
      return types;
    });
    expect(types).not.toContain("webhook.test");
  });

  it("never delivers another tenant's events", async () => {
    const tenant = await signUp(server);
    const other = await signUp(server);
    const mine = await subscribe(tenant, { eventTypes: ["ticket.created"] });
    await subscribe(other, { eventTypes: ["ticket.created"] });
    await openTicket(other.client, { title: "Not yours" });
    await openTicket(tenant.client, { title: "Yours" });
    const [request] = await receiver.waitFor(mine.path, 1);
    const payload = verified(mine.webhook.secret, request!);
    expect(payload.data).toMatchObject({ after: expect.objectContaining({ title: "Yours" }) });
    await tenant.client.POST("/v1/webhooks/{webhookId}/ping", { params: { path: { webhookId: mine.webhook.id } } });
    await receiver.waitFor(mine.path, 2);
    expect(receiver.requests(mine.path).map((r) => JSON.parse(r.body).data.after?.title)).not.toContain("Not yours");
  });

  it("redelivers an event with the same webhook-id", async () => {
    const tenant = await signUp(server);
    const { webhook, path } = await subscribe(tenant, { eventTypes: ["ticket.created"] });
    await openTicket(tenant.client);
    const [first] = await receiver.waitFor(path, 1);
    const delivery = await eventually(async () => {
      const { data } = await tenant.client.GET("/v1/webhooks/{webhookId}/deliveries", { params: { path: { webhookId: webhook.id } } });
      expect(data!.data[0]!.status).toBe("succeeded");
      return data!.data[0]!;
    });
    const again = await tenant.client.POST("/v1/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver", { params: { path: { webhookId: webhook.id, deliveryId: delivery.id } } });
    expect(again.response.status).toBe(202);
    expect(again.data!.id).not.toBe(delivery.id);
    const [, second] = await receiver.waitFor(path, 2);
    expect(second!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    expect(verified(webhook.secret, second!).data.id).toBe(delivery.eventId);
  });

  it("replays every subscribed event of a time range", async () => {
    const tenant = await signUp(server);
    const since = new Date(Date.now() - 1000).toISOString();
    const { webhook, path } = await subscribe(tenant, { eventTypes: ["ticket.created"] });
    const tickets = [await openTicket(tenant.client), await openTicket(tenant.client), await openTicket(tenant.client)];
    await receiver.waitFor(path, 3);
    // Wait until the trail shows them, so the replay's horizon has passed them too.
    await eventually(async () => {
      const { data } = await tenant.client.GET("/v1/events", { params: { query: { type: ["ticket.created"] } } });
      expect(data!.data).toHaveLength(3);
    });
    const until = new Date(Date.now() + 1000).toISOString();
    const { data, response } = await tenant.client.POST("/v1/webhooks/{webhookId}/replay", { params: { path: { webhookId: webhook.id } }, body: { since, until } });
    expect(response.status).toBe(202);
    expect(data!.queued).toBe(3);
    const requests = await receiver.waitFor(path, 6);
    const replayed = requests.slice(3).map((request) => verified(webhook.secret, request).data.entity as { id: string });
    expect(replayed.map((entity) => entity.id).sort()).toEqual(tickets.map((ticket) => ticket.id).sort());
  });

  it("sends the entity as it is now: a deleted comment's words never leave, even on redelivery", async () => {
    const tenant = await signUp(server);
    const { webhook, path } = await subscribe(tenant, { eventTypes: ["comment.created"] });
    const ticket = await openTicket(tenant.client);
    const secret = "the vault code is 4521";
    const comment = await tenant.client.POST("/v1/tickets/{ticketId}/comments", { params: { path: { ticketId: ticket.id } }, body: { body: secret, internal: true } });
    const [live] = await receiver.waitFor(path, 1);
    // Delivered while it stood: the current comment, internal notes included (integrations see what admins see).
    expect(verified(webhook.secret, live!).data.data).toMatchObject({ id: comment.data!.id, body: secret, internal: true });

    await tenant.client.DELETE("/v1/tickets/{ticketId}/comments/{commentId}", { params: { path: { ticketId: ticket.id, commentId: comment.data!.id } } });
    const delivery = await eventually(async () => {
      const { data } = await tenant.client.GET("/v1/webhooks/{webhookId}/deliveries", { params: { path: { webhookId: webhook.id } } });
      expect(data!.data[0]!.status).toBe("succeeded");
      return data!.data[0]!;
    });
    await tenant.client.POST("/v1/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver", { params: { path: { webhookId: webhook.id, deliveryId: delivery.id } } });
    const [, again] = await receiver.waitFor(path, 2);
    expect(again!.body).not.toContain("vault code");
    expect(verified(webhook.secret, again!).data.data).toMatchObject({ id: comment.data!.id, deleted: true, body: "" });
  });
});
