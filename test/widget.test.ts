// The chat widget over HTTP: its settings, visitors' sessions (anonymous, JWT, HMAC), what a
// visitor's token may and may not do, verified-only mode on every door, origins, limits, and the
// loader and frame the browser fetches. (test/widget-browser.test.ts drives it in Chromium.)
import crypto from "node:crypto";
import { createSigner } from "fast-jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { addMember, signUp, type SignedUpTenant } from "./support/fixtures.ts";
import { openStream, streamUrl, refusal, ticketFor } from "./support/stream.ts";
import { eventually } from "./support/webhook-receiver.ts";
import { withinBusinessHours } from "../src/modules/widget/business-hours.ts";
import type { Schemas } from "../sdk/index.ts";

const SITE = "https://www.shop.test";

let server: TestServer;
let owner: SignedUpTenant;

type Session = Schemas["WidgetSession"];

async function session(slug: string, body: Record<string, unknown> = {}, origin: string | undefined = SITE): Promise<{ status: number; body: Session & { code?: string; detail?: string } }> {
  const response = await fetch(`${server.url}/v1/public/${slug}/widget/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(origin ? { origin } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Session & { code?: string; detail?: string } };
}

async function visitor(slug = owner.tenant.slug, body: Record<string, unknown> = {}) {
  const started = await session(slug, body);
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return { session: started.body, client: server.client({ accessToken: started.body.accessToken }) };
}

async function configure(tenant: SignedUpTenant, settings: Schemas["WidgetSettingsUpdate"]) {
  const saved = await tenant.client.PUT("/v1/widget/settings", { body: settings });
  expect(saved.error, JSON.stringify(saved.error)).toBeUndefined();
  return saved.data!;
}

async function rotatedSecret(tenant: SignedUpTenant): Promise<string> {
  const rotated = await tenant.client.POST("/v1/widget/settings/secret");
  expect(rotated.response.status).toBe(201);
  return rotated.data!.secret;
}

const jwt = (secret: string, claims: Record<string, unknown>, expiresInMs = 300_000) => createSigner({ key: secret, algorithm: "HS256", expiresIn: expiresInMs })(claims);

beforeAll(async () => {
  server = await startServer();
  owner = await signUp(server);
  await configure(owner, { allowedOrigins: [SITE], appearance: { accentColor: "#0b5fff", greeting: { en: "Hi there", es: "Hola" } } });
}, 60_000);

afterAll(async () => {
  await server?.close();
});

describe("widget settings", () => {
  it("are off until an admin saves them, and only admins read or change them", async () => {
    const fresh = await signUp(server);
    const initial = await fresh.client.GET("/v1/widget/settings");
    expect(initial.data).toMatchObject({ enabled: false, identity: "anonymous", allowedOrigins: [], secretSet: false });
    expect((await session(fresh.tenant.slug)).status).toBe(404);

    const agent = await addMember(server, fresh, "agent");
    expect((await agent.client.GET("/v1/widget/settings")).response.status).toBe(403);
    expect((await agent.client.PUT("/v1/widget/settings", { body: { enabled: true } })).response.status).toBe(403);

    const saved = await configure(fresh, { allowedOrigins: [SITE], appearance: { businessHours: { timeZone: "Europe/Lisbon", weekly: [{ day: "mon", open: "09:00", close: "17:00" }] } } });
    expect(saved).toMatchObject({ enabled: true, allowedOrigins: [SITE] });
    const badZone = await fresh.client.PUT("/v1/widget/settings", { body: { appearance: { businessHours: { timeZone: "Mars/Olympus", weekly: [] } } } });
    expect(badZone.response.status).toBe(400);
    const badColour = await fresh.client.PUT("/v1/widget/settings", { body: { appearance: { accentColor: "red" } } });
    expect(badColour.response.status).toBe(400);

    const events = await eventually(async () => {
      const page = await fresh.client.GET("/v1/events", { params: { query: { type: "widget.settings_updated" } as never } });
      const found = page.data!.data.filter((event) => event.type === "widget.settings_updated");
      expect(found.length).toBeGreaterThan(0);
      return found;
    });
    expect(events[0]!.actor).toEqual({ type: "user", id: fresh.admin.id });
  });

  it("show the identity secret once, when rotated, and never again", async () => {
    const secret = await rotatedSecret(owner);
    expect(secret).toMatch(/^wsec_/);
    const settings = await owner.client.GET("/v1/widget/settings");
    expect(settings.data!.secretSet).toBe(true);
    expect(JSON.stringify(settings.data)).not.toContain(secret);
  });
});

describe("visitor sessions", () => {
  it("gives an anonymous visitor a widget-only token, the tenant's appearance, and a way back to their history", async () => {
    const first = await visitor();
    expect(first.session).toMatchObject({ tokenType: "Bearer", visitor: { kind: "anonymous", followUpEmail: null }, widget: { tenantName: owner.tenant.name, identity: "anonymous", appearance: { accentColor: "#0b5fff" } } });
    expect(first.session.resumeToken).toMatch(/^wvr_/);

    const opened = await first.client.POST("/v1/tickets", { body: { title: "Where is my order?", channel: "chat" } });
    expect(opened.response.status).toBe(201);
    expect(opened.data!.requesterId).toBe(first.session.visitor.id);

    const back = await visitor(owner.tenant.slug, { resumeToken: first.session.resumeToken });
    expect(back.session.visitor.id).toBe(first.session.visitor.id);
    const history = await back.client.GET("/v1/tickets");
    expect(history.data!.data.map((ticket) => ticket.id)).toEqual([opened.data!.id]);
  });

  it("refuses pages outside the allowed origins, and a frame that does not name its page", async () => {
    const refused = await session(owner.tenant.slug, {}, "https://evil.test");
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe("origin_not_allowed");
    // The frame's own requests carry the API's origin: its page must be named, and allowed.
    const self = new URL(server.url).origin;
    expect((await session(owner.tenant.slug, {}, self)).status).toBe(403);
    expect((await session(owner.tenant.slug, { pageOrigin: "https://evil.test" }, self)).status).toBe(403);
    expect((await session(owner.tenant.slug, { pageOrigin: SITE }, self)).status).toBe(201);
    expect((await session("no-such-tenant")).status).toBe(404);
  });

  it("verifies a JWT signed with the widget secret: the same person comes back as the same visitor", async () => {
    const secret = await rotatedSecret(owner);
    const token = jwt(secret, { sub: "customer-42", email: "Grace@Example.test", name: "Grace Hopper" });
    const first = await visitor(owner.tenant.slug, { identityToken: token });
    expect(first.session.visitor).toMatchObject({ kind: "verified", name: "Grace Hopper" });
    expect(first.session.resumeToken).toBeNull();
    const again = await visitor(owner.tenant.slug, { identityToken: jwt(secret, { sub: "customer-42" }) });
    expect(again.session.visitor.id).toBe(first.session.visitor.id);
    const me = await again.client.GET("/v1/auth/me");
    expect(me.data!.user).toMatchObject({ email: "grace@example.test", role: "user" });

    const forged = jwt("wsec_not-the-secret", { sub: "customer-42" });
    expect((await session(owner.tenant.slug, { identityToken: forged })).status).toBe(401);
    const noExpiry = createSigner({ key: secret, algorithm: "HS256" })({ sub: "customer-42" });
    expect((await session(owner.tenant.slug, { identityToken: noExpiry })).status).toBe(401);
    const tooLong = jwt(secret, { sub: "customer-42" }, 86_400_000);
    expect((await session(owner.tenant.slug, { identityToken: tooLong })).status).toBe(401);
    const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify({ sub: "customer-42", exp: Math.floor(Date.now() / 1000) + 60 })).toString("base64url")}.`;
    expect((await session(owner.tenant.slug, { identityToken: none })).status).toBe(401);
  });

  it("verifies Intercom-style HMAC identity (user id + hex HMAC-SHA256)", async () => {
    const secret = await rotatedSecret(owner);
    const userHash = crypto.createHmac("sha256", secret).update("hmac-user-7").digest("hex");
    const verified = await visitor(owner.tenant.slug, { userId: "hmac-user-7", userHash, name: "Linus" });
    expect(verified.session.visitor).toMatchObject({ kind: "verified", name: "Linus" });
    const wrong = await session(owner.tenant.slug, { userId: "hmac-user-8", userHash });
    expect(wrong.status).toBe(401);
  });
});

describe("a visitor's token", () => {
  it("works on the chat's operations only, and sees only the visitor's own conversations, without internal notes", async () => {
    const agent = await addMember(server, owner, "agent");
    const alice = await visitor();
    const bob = await visitor();
    const chat = await alice.client.POST("/v1/tickets", { body: { title: "Help", channel: "chat" } });
    const ticketId = chat.data!.id;
    await alice.client.POST("/v1/tickets/{ticketId}/comments", { params: { path: { ticketId } }, body: { body: "My parcel is late" } });
    await agent.client.POST("/v1/tickets/{ticketId}/comments", { params: { path: { ticketId } }, body: { body: "Customer is VIP", internal: true } });
    await agent.client.POST("/v1/tickets/{ticketId}/comments", { params: { path: { ticketId } }, body: { body: "Looking into it" } });

    const seen = await alice.client.GET("/v1/tickets/{ticketId}/comments", { params: { path: { ticketId } } });
    expect(seen.data!.data.map((comment) => comment.body)).toEqual(["My parcel is late", "Looking into it"]);

    expect((await bob.client.GET("/v1/tickets/{ticketId}", { params: { path: { ticketId } } })).response.status).toBe(404);
    expect((await bob.client.GET("/v1/tickets")).data!.data).toEqual([]);

    // Everything else a `user` could call is closed to a widget token.
    expect((await alice.client.GET("/v1/tenant")).response.status).toBe(403);
    expect((await alice.client.GET("/v1/notifications")).response.status).toBe(403);
    expect((await alice.client.PATCH("/v1/tickets/{ticketId}", { params: { path: { ticketId } }, body: { title: "Mine now" } })).response.status).toBe(403);
    expect((await alice.client.GET("/v1/events")).response.status).toBe(403);

    // On the live stream too: no internal note reaches the visitor.
    const socket = await openStream(server.url, alice.client);
    await socket.subscribe("chat", { kind: "ticket", ticketId });
    await agent.client.POST("/v1/tickets/{ticketId}/comments", { params: { path: { ticketId } }, body: { body: "Internal again", internal: true } });
    await agent.client.POST("/v1/tickets/{ticketId}/comments", { params: { path: { ticketId } }, body: { body: "Found it!" } });
    await socket.next("event", (message) => message.event.type === "comment.created" && (message.event.data as { body?: string } | null)?.body === "Found it!");
    expect(socket.events("chat").map((event) => (event.data as { body?: string } | null)?.body)).not.toContain("Internal again");
    await socket.close();
  });

  it("answers in the visitor's language: articles suggested for their chat are in the locale their browser gave", async () => {
    const agent = await addMember(server, owner, "agent");
    const carla = await visitor(owner.tenant.slug, { locale: "pt-br" });
    const chat = await carla.client.POST("/v1/tickets", { body: { title: "Meu pedido atrasou", channel: "chat" } });
    const suggested = await agent.client.GET("/v1/tickets/{ticketId}/suggested-articles", { params: { path: { ticketId: chat.data!.id } } });
    expect(suggested.data!.locale).toBe("pt-BR");
    // A returning visitor whose browser now says Spanish is answered in Spanish.
    const back = await visitor(owner.tenant.slug, { locale: "es", resumeToken: carla.session.resumeToken });
    expect(back.session.visitor.id).toBe(carla.session.visitor.id);
    const again = await agent.client.GET("/v1/tickets/{ticketId}/suggested-articles", { params: { path: { ticketId: chat.data!.id } } });
    expect(again.data!.locale).toBe("es");
  });

  it("refuses a message over the size limit, and sends a retried message once (Idempotency-Key)", async () => {
    const alice = await visitor();
    const long = "x".repeat(5_001);
    const refused = await alice.client.POST("/v1/tickets", { body: { title: "Long", description: long, channel: "chat" } });
    expect(refused.response.status).toBe(413);
    expect(refused.error).toMatchObject({ code: "message_too_long" });
    const chat = await alice.client.POST("/v1/tickets", { body: { title: "Short", channel: "chat" } });
    const ticketId = chat.data!.id;
    const key = crypto.randomUUID();
    const send = () => alice.client.POST("/v1/tickets/{ticketId}/comments", { params: { path: { ticketId } }, headers: { "idempotency-key": key }, body: { body: "Hello?" } });
    const [first, retry] = [await send(), await send()];
    expect(retry.data!.id).toBe(first.data!.id);
    expect((await alice.client.GET("/v1/tickets/{ticketId}/comments", { params: { path: { ticketId } } })).data!.data).toHaveLength(1);
  });

  it("stores an email for a follow-up when nobody is online", async () => {
    const alice = await visitor();
    const availability = await alice.client.GET("/v1/widget/availability");
    expect(availability.data).toEqual({ agentsOnline: false, withinBusinessHours: true });
    const saved = await alice.client.PUT("/v1/widget/visitor", { body: { followUpEmail: "Alice@Example.test" } });
    expect(saved.data).toMatchObject({ followUpEmail: "alice@example.test", kind: "anonymous" });
    const back = await visitor(owner.tenant.slug, { resumeToken: alice.session.resumeToken });
    expect(back.session.visitor.followUpEmail).toBe("alice@example.test");
    // The team sees where to follow up.
    const agent = await addMember(server, owner, "agent");
    const seen = await agent.client.GET("/v1/widget/visitors/{userId}", { params: { path: { userId: alice.session.visitor.id } } });
    expect(seen.data).toMatchObject({ id: alice.session.visitor.id, followUpEmail: "alice@example.test" });
    // A logged-in customer is not a visitor.
    const customer = await addMember(server, owner, "user");
    expect((await customer.client.PUT("/v1/widget/visitor", { body: { followUpEmail: "c@example.test" } })).response.status).toBe(403);
    expect((await agent.client.GET("/v1/widget/visitors/{userId}", { params: { path: { userId: customer.user.id } } })).response.status).toBe(404);
    expect((await alice.client.GET("/v1/widget/visitors/{userId}", { params: { path: { userId: alice.session.visitor.id } } })).response.status).toBe(403);
  });

  it("sees an agent online while one has the queue open", async () => {
    const agent = await addMember(server, owner, "agent");
    const alice = await visitor();
    const queue = await openStream(server.url, agent.client);
    await queue.subscribe("queue", { kind: "tenant" });
    await eventually(async () => expect((await alice.client.GET("/v1/widget/availability")).data!.agentsOnline).toBe(true), 5_000);
    await queue.close();
    await eventually(async () => expect((await alice.client.GET("/v1/widget/availability")).data!.agentsOnline).toBe(false), 5_000);
  });
});

describe("verified-only mode", () => {
  it("lets nothing anonymous through: no new session, and the anonymous sessions already open end on every route", async () => {
    const tenant = await signUp(server);
    await configure(tenant, { allowedOrigins: [SITE] });
    const anonymous = await visitor(tenant.tenant.slug);
    const chat = await anonymous.client.POST("/v1/tickets", { body: { title: "Before", channel: "chat" } });
    expect(chat.response.status).toBe(201);
    const socket = await openStream(server.url, anonymous.client);
    const spareTicket = await ticketFor(anonymous.client);

    await configure(tenant, { identity: "verified" });

    const refusedAnonymous = await session(tenant.tenant.slug);
    expect(refusedAnonymous.status, JSON.stringify(refusedAnonymous.body)).toBe(401);
    expect((await session(tenant.tenant.slug, { resumeToken: anonymous.session.resumeToken })).status).toBe(401);
    expect((await anonymous.client.GET("/v1/tickets")).response.status).toBe(401);
    expect((await anonymous.client.POST("/v1/tickets/{ticketId}/comments", { params: { path: { ticketId: chat.data!.id } }, body: { body: "Still here?" } })).response.status).toBe(401);
    expect((await anonymous.client.POST("/v1/stream/tickets")).response.status).toBe(401);
    expect((await socket.closed).code).toBe(4003);
    const spare = await refusal(streamUrl(server.url, spareTicket));
    expect(spare.status, spare.body).toBe(401);

    const secret = await rotatedSecret(tenant);
    const verified = await visitor(tenant.tenant.slug, { identityToken: jwt(secret, { sub: "member-1" }) });
    expect(verified.session.widget.identity).toBe("verified");
  });
});

describe("the loader and the frame", () => {
  it("serves the loader and a frame only the allowed sites may embed", async () => {
    const loader = await fetch(`${server.url}/widget.js`);
    expect(loader.status).toBe(200);
    expect(loader.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(await loader.text()).toContain("docket:hello");

    const frame = await fetch(`${server.url}/widget/frame?tenant=${owner.tenant.slug}`);
    expect(frame.status).toBe(200);
    expect(frame.headers.get("x-frame-options")).toBeNull();
    const csp = frame.headers.get("content-security-policy")!;
    expect(csp).toContain(`frame-ancestors ${SITE}`);
    expect(csp).toContain("script-src 'self'");
    expect(await frame.text()).toContain('src="/widget/chat.js"');

    const off = await fetch(`${server.url}/widget/frame?tenant=no-such-tenant`);
    expect(off.status).toBe(404);
    expect((await fetch(`${server.url}/widget/chat.js`)).status).toBe(200);
  });
});

describe("business hours", () => {
  const hours = { timeZone: "America/Sao_Paulo", weekly: [{ day: "mon" as const, open: "09:00", close: "18:00" }] };
  it("are read on the tenant's wall clock", () => {
    // Monday 2026-11-23 12:00 UTC is 09:00 in São Paulo (UTC-3): open; 11:59 UTC is 08:59: closed.
    expect(withinBusinessHours(hours, new Date("2026-11-23T12:00:00Z"))).toBe(true);
    expect(withinBusinessHours(hours, new Date("2026-11-23T11:59:00Z"))).toBe(false);
    expect(withinBusinessHours(hours, new Date("2026-11-24T12:00:00Z"))).toBe(false);
    expect(withinBusinessHours(null)).toBe(true);
  });
});

describe("per-visitor rate limit", () => {
  it("stops one chatty visitor without touching the others", async () => {
    const limited = await startServer({ widget: { sessionTtlSeconds: 3_600, maxMessageLength: 5_000, visitorPerMinute: 3 } });
    try {
      const tenant = await signUp(limited);
      await tenant.client.PUT("/v1/widget/settings", { body: { allowedOrigins: [SITE] } });
      const start = async () => {
        const response = await fetch(`${limited.url}/v1/public/${tenant.tenant.slug}/widget/sessions`, { method: "POST", headers: { "content-type": "application/json", origin: SITE }, body: "{}" });
        return limited.client({ accessToken: ((await response.json()) as Session).accessToken });
      };
      const chatty = await start();
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await chatty.GET("/v1/widget/availability")).response.status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const other = await start();
      expect((await other.GET("/v1/widget/availability")).response.status).toBe(200);
      // Staff are not counted as visitors.
      expect((await tenant.client.GET("/v1/widget/settings")).response.status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
