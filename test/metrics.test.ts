// GET /metrics: off (404) unless METRICS_TOKEN is configured, then the scraper's bearer token and
// nothing else; after real traffic the Prometheus text shows requests per operationId, the pool,
// the event feed's lag and the webhook queue, as a scraper would read them.
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { signUp } from "./support/fixtures.ts";
import { openTicket } from "./support/tickets.ts";
import { eventually, startReceiver, type Receiver } from "./support/webhook-receiver.ts";
import { openStream } from "./support/stream.ts";

const metricsToken = crypto.randomBytes(32).toString("base64url");
let server: TestServer;
let receiver: Receiver;
beforeAll(async () => {
  server = await startServer({ metricsToken });
  receiver = await startReceiver();
});
afterAll(async () => {
  await server.close();
  await receiver.close();
});

function scrape(token: string | undefined, url = server.url): Promise<Response> {
  return fetch(`${url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

async function metricsText(): Promise<string> {
  const response = await scrape(metricsToken);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
  return response.text();
}

/** The value of one sample, by its exact name and labels as written in the text format. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("GET /metrics", () => {
  it("is off (404) when METRICS_TOKEN is not configured, whatever the token", async () => {
    const off = await startServer();
    try {
      for (const token of [undefined, "anything"]) {
        const response = await scrape(token, off.url);
        expect(response.status).toBe(404);
        expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
        expect(await response.json()).toMatchObject({ code: "not_found", status: 404 });
      }
    } finally {
      await off.close();
    }
  });

  it("refuses a missing or wrong token, and a user's access token, with 401", async () => {
    const tenant = await signUp(server);
    for (const token of [undefined, `${metricsToken}x`, tenant.client.tokens.accessToken!]) {
      const response = await scrape(token);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ code: "unauthorized" });
    }
  });

  it("shows requests per operation, the pool, the feed's lag and the webhook queue after traffic", async () => {
    const tenant = await signUp(server);
    // An endpoint that answers 410 Gone: its delivery fails at the first attempt.
    receiver.answer("/gone", () => ({ status: 410 }));
    const hook = await tenant.client.POST("/v1/webhooks", { body: { url: receiver.url("/gone"), eventTypes: ["ticket.created"] } });
    expect(hook.response.status).toBe(201);
    const ticket = await openTicket(tenant.client);
    expect((await fetch(`${server.url}/no-such-page`)).status).toBe(404);
    await receiver.waitFor("/gone", 1);

    const text = await eventually(async () => {
      const current = await metricsText();
      expect(sample(current, "webhook_deliveries_failed")).toBe(1);
      expect(sample(current, 'event_feed_lag_events{consumer="webhooks"}')).toBe(0);
      return current;
    });
    expect(ticket.number).toBe(1);
    expect(sample(text, 'http_requests_total{operation="createTicket",method="POST",status="201"}')).toBe(1);
    expect(sample(text, 'http_requests_total{operation="createWebhook",method="POST",status="201"}')).toBe(1);
    expect(sample(text, 'http_requests_total{operation="unknown",method="GET",status="404"}')).toBe(1);
    expect(sample(text, 'http_requests_total{operation="getMetrics",method="GET",status="401"}')).toBe(3);
    expect(sample(text, 'http_request_duration_seconds_count{operation="createTicket"}')).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_bucket{le="+Inf",operation="createTicket"}')).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_sum{operation="createTicket"}')).toBeGreaterThan(0);
    // Never a series per raw URL.
    expect(text).not.toContain("no-such-page");

    expect(sample(text, 'db_pool_connections{state="total"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'db_pool_connections{state="idle"}')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'db_pool_connections{state="waiting"}')).toBe(0);
    expect(sample(text, 'event_feed_lag_seconds{consumer="webhooks"}')).toBe(0);
    expect(sample(text, "webhook_deliveries_pending")).toBe(0);
    expect(sample(text, "websocket_connections")).toBe(0);
    expect(text).toContain("# TYPE process_cpu_user_seconds_total counter");
    expect(text).toContain("# TYPE nodejs_eventloop_lag_seconds gauge");
  });

  it("counts the live stream's open sockets", async () => {
    const tenant = await signUp(server);
    const sockets = [await openStream(server.url, tenant.client), await openStream(server.url, tenant.client, "bearer")];
    expect(sample(await metricsText(), "websocket_connections")).toBe(2);
    await sockets[0]!.close();
    await eventually(async () => expect(sample(await metricsText(), "websocket_connections")).toBe(1));
    await sockets[1]!.close();
  });
});
