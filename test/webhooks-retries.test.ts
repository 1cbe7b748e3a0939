// Retries, timeouts, Retry-After, 410 Gone, disabling after persistent failure, secret rotation,
// and payloads checked against the contract. The retry schedule is compressed (WEBHOOK_RETRY_SCALE)
// so a test sees several attempts in well under a second.
import fs from "node:fs";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { parse } from "yaml";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, testConfig, type TestServer } from "./support/server.ts";
import { signUp, type SignedUpTenant } from "./support/fixtures.ts";
import { openTicket, ticketPath } from "./support/tickets.ts";
import { eventually, startReceiver, verified, type Answer, type Receiver, type ReceivedRequest } from "./support/webhook-receiver.ts";
import type { Schemas } from "../sdk/index.ts";

let server: TestServer;
let receiver: Receiver;
beforeAll(async () => {
  // 5 s → 5 ms, 5 min → 300 ms, 30 min → 1.8 s; an attempt times out after 300 ms; an endpoint
  // failing every attempt for 1 s is disabled.
  server = await startServer({ webhooks: { ...testConfig().webhooks, retryScale: 0.001, timeoutMs: 300, disableAfterSeconds: 1 } });
  receiver = await startReceiver();
});
afterAll(async () => {
  await server.close();
  await receiver.close();
});

let paths = 0;
async function subscribe(tenant: SignedUpTenant, answer?: (request: ReceivedRequest) => Answer, eventTypes = ["ticket.created"]) {
  const hookPath = `/retry-${++paths}`;
  if (answer) receiver.answer(hookPath, answer);
  const { data, error } = await tenant.client.POST("/v1/webhooks", { body: { url: receiver.url(hookPath), eventTypes } });
  expect(error, JSON.stringify(error)).toBeUndefined();
  return { webhook: data!, path: hookPath, id: { params: { path: { webhookId: data!.id } } } };
}

async function onlyDelivery(tenant: SignedUpTenant, webhookId: string, status: Schemas["WebhookDeliveryStatus"]): Promise<Schemas["WebhookDeliveryDetail"]> {
  return eventually(async () => {
    const list = await tenant.client.GET("/v1/webhooks/{webhookId}/deliveries", { params: { path: { webhookId } } });
    expect(list.data!.data).toHaveLength(1);
    expect(list.data!.data[0]!.status).toBe(status);
    const detail = await tenant.client.GET("/v1/webhooks/{webhookId}/deliveries/{deliveryId}", { params: { path: { webhookId, deliveryId: list.data!.data[0]!.id } } });
    return detail.data!;
  });
}

describe("retries", () => {
  it("retries after 500s with the same webhook-id, and records every attempt", async () => {
    const tenant = await signUp(server);
    const { webhook, path: hook } = await subscribe(tenant, (request) => (request.number <= 2 ? { status: 500, body: "x".repeat(5000) } : { status: 200, body: "ok" }));
    await openTicket(tenant.client);
    const requests = await receiver.waitFor(hook, 3);
    expect(new Set(requests.map((request) => request.headers["webhook-id"])).size).toBe(1);
    for (const request of requests) verified(webhook.secret, request);
    const delivery = await onlyDelivery(tenant, webhook.id, "succeeded");
    expect(delivery.attempts.map((attempt) => [attempt.number, attempt.outcome, attempt.responseStatus])).toEqual([
      [1, "failure", 500],
      [2, "failure", 500],
      [3, "success", 200],
    ]);
    expect(delivery.attempts[0]!.responseBody).toHaveLength(1024);
    expect(delivery.attempts[2]!.responseBody).toBe("ok");
    expect(delivery.attempts[0]!.responseHeaders).toHaveProperty("date");
  });

  it("retries after a timeout", async () => {
    const tenant = await signUp(server);
    const { webhook, path: hook } = await subscribe(tenant, (request) => (request.number === 1 ? { hang: true } : { status: 204 }));
    await openTicket(tenant.client);
    await receiver.waitFor(hook, 2);
    const delivery = await onlyDelivery(tenant, webhook.id, "succeeded");
    expect(delivery.attempts[0]).toMatchObject({ outcome: "failure", responseStatus: null, error: expect.stringContaining("300 ms") });
    expect(delivery.attempts[1]).toMatchObject({ outcome: "success", responseStatus: 204 });
  });

  it("treats a redirect as a failure and does not follow it", async () => {
    const tenant = await signUp(server);
    const { webhook, path: hook } = await subscribe(tenant, (request) => (request.number === 1 ? { status: 302, headers: { location: receiver.url("/elsewhere") } } : { status: 204 }));
    await openTicket(tenant.client);
    await receiver.waitFor(hook, 2);
    const delivery = await onlyDelivery(tenant, webhook.id, "succeeded");
    expect(delivery.attempts[0]).toMatchObject({ outcome: "failure", responseStatus: 302 });
    expect(receiver.requests("/elsewhere")).toHaveLength(0);
  });

  it("waits as long as Retry-After asks when that is longer than the schedule", async () => {
    const tenant = await signUp(server);
    const { path: hook } = await subscribe(tenant, (request) => (request.number === 1 ? { status: 503, headers: { "retry-after": "1" } } : { status: 204 }));
    await openTicket(tenant.client);
    const [first, second] = await receiver.waitFor(hook, 2);
    // The schedule alone would retry after about 5 ms.
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(1000);
  });

  it("disables an endpoint that answers 410 Gone, and says so in an event", async () => {
    const tenant = await signUp(server);
    const { webhook, path: hook, id } = await subscribe(tenant, () => ({ status: 410 }));
    await openTicket(tenant.client);
    await receiver.waitFor(hook, 1);
    await eventually(async () => {
      const { data } = await tenant.client.GET("/v1/webhooks/{webhookId}", id);
      expect(data).toMatchObject({ active: false, disabledReason: "gone" });
    });
    const delivery = await onlyDelivery(tenant, webhook.id, "failed");
    expect(delivery.attempts).toHaveLength(1);
    await eventually(async () => {
      const { data } = await tenant.client.GET("/v1/events", { params: { query: { type: ["webhook.endpoint_disabled"] } } });
      expect(data!.data).toEqual([expect.objectContaining({ actor: { type: "system", id: null }, entity: { type: "webhook", id: webhook.id }, after: { active: false, disabledReason: "gone" } })]);
    });
    // Nothing more is sent until an admin re-enables it.
    await openTicket(tenant.client);
    const ping = await tenant.client.POST("/v1/webhooks/{webhookId}/ping", id);
    expect(ping.response.status).toBe(409);
    const enabled = await tenant.client.PATCH("/v1/webhooks/{webhookId}", { ...id, body: { active: true } });
    expect(enabled.data).toMatchObject({ active: true, disabledReason: null });
    expect(receiver.requests(hook)).toHaveLength(1);
  });

  it("disables an endpoint whose every attempt fails for the configured time", async () => {
    const tenant = await signUp(server);
    const { id } = await subscribe(tenant, () => ({ status: 500 }));
    await openTicket(tenant.client);
    await eventually(async () => {
      const { data } = await tenant.client.GET("/v1/webhooks/{webhookId}", id);
      expect(data).toMatchObject({ active: false, disabledReason: "failing" });
    });
  });
});

describe("secret rotation", () => {
  it("signs with both secrets during the overlap, so either verifies", async () => {
    const tenant = await signUp(server);
    const { webhook, path: hook, id } = await subscribe(tenant);
    const rotated = await tenant.client.POST("/v1/webhooks/{webhookId}/rotate-secret", id);
    expect(rotated.data!.secret).toMatch(/^whsec_/);
    expect(rotated.data!.secret).not.toBe(webhook.secret);
    await tenant.client.POST("/v1/webhooks/{webhookId}/ping", id);
    const [request] = await receiver.waitFor(hook, 1);
    expect(request!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(verified(rotated.data!.secret, request!).type).toBe("webhook.test");
    expect(verified(webhook.secret, request!).type).toBe("webhook.test");
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString("base64")}`).verify(request!.body, request!.headers)).toThrow();
  });
});

describe("payloads", () => {
  const document = parse(fs.readFileSync(path.resolve(import.meta.dirname, "../openapi.yaml"), "utf8")) as { components: { schemas: Record<string, unknown> }; webhooks: Record<string, unknown> };
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ $id: "openapi", components: document.components }, "openapi");
  const schemaFor = (type: string) => {
    const name = type.split(/[._]/).map((part) => part[0]!.toUpperCase() + part.slice(1)).join("") + "Event";
    const validate = ajv.getSchema(`openapi#/components/schemas/${name}`);
    if (!validate) throw new Error(`no schema ${name} for ${type}`);
    return validate;
  };

  it("has a schema and a webhooks entry for every event type", async () => {
    const tenant = await signUp(server);
    const { data } = await tenant.client.GET("/v1/webhooks/event-types");
    for (const { type } of data!.data) {
      expect(document.webhooks).toHaveProperty([type]);
      schemaFor(type);
    }
  });

  it("match the contract's schemas", async () => {
    const tenant = await signUp(server);
    const { webhook, path: hook, id } = await subscribe(tenant, undefined, ["*"]);
    const ticket = await openTicket(tenant.client, { title: "Schema me", priority: "high" });
    await tenant.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { status: "pending" } });
    await tenant.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "Looking" } });
    await tenant.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { assigneeId: tenant.admin.id } });
    await tenant.client.DELETE("/v1/tickets/{ticketId}", ticketPath(ticket.id));
    await tenant.client.POST("/v1/webhooks/{webhookId}/ping", id);
    const types = await eventually(async () => {
      const types = receiver.requests(hook).map((request) => verified(webhook.secret, request).type);
      expect(types).toEqual(expect.arrayContaining(["ticket.created", "ticket.status_changed", "comment.created", "ticket.assigned", "ticket.deleted", "webhook.test"]));
      return types;
    });
    expect(types.length).toBeGreaterThanOrEqual(6);
    for (const request of receiver.requests(hook)) {
      const payload = verified(webhook.secret, request);
      const validate = schemaFor(payload.type);
      expect(validate(payload), `${payload.type}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });
});
