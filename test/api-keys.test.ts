// API keys end to end: an admin creates one (the secret shown once), an integration uses it
// through the SDK like an access token, scopes narrow it, revocation and expiry end it, and a
// mistyped key is refused before the database is asked.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey, parseKey } from "../src/modules/api-keys/key-format.ts";
import { createDocketClient, type DocketClient, type Schemas } from "../sdk/index.ts";
import { trail, trailTypes } from "./support/events.ts";
import { startOtherInstance, startServer, type OtherInstance, type TestServer } from "./support/server.ts";
import { addMember, signUp, type SignedUpTenant } from "./support/fixtures.ts";
import { openTicket, ticketPath } from "./support/tickets.ts";
import { eventually, startReceiver, verified, type Receiver } from "./support/webhook-receiver.ts";

let server: TestServer;
let owner: SignedUpTenant;

beforeAll(async () => {
  server = await startServer();
  owner = await signUp(server);
});
afterAll(async () => {
  await server.close();
});

async function createKey(by: DocketClient, body: Schemas["ApiKeyCreate"]): Promise<Schemas["ApiKeyWithSecret"]> {
  const { data, error, response } = await by.POST("/v1/api-keys", { body });
  expect(error, JSON.stringify(error)).toBeUndefined();
  expect(response.status).toBe(201);
  return data!;
}

const withKey = (key: { secret: string }, url = server.url) => createDocketClient({ baseUrl: url, accessToken: key.secret });

describe("creating and listing keys", () => {
  it("shows the secret once, in GitHub's format; the list shows its prefix, never the secret", async () => {
    const key = await createKey(owner.client, { name: "CRM sync", role: "agent" });
    expect(key.secret).toMatch(/^dkt_test_[0-9A-Za-z]{36}$/);
    expect(key).toMatchObject({ name: "CRM sync", role: "agent", scopes: null, expiresAt: null, lastUsedAt: null, createdBy: owner.admin.id });
    expect(key.secret.startsWith(key.prefix)).toBe(true);
    expect(key.prefix).toMatch(/^dkt_test_[0-9A-Za-z]{8}$/);

    const { data } = await owner.client.GET("/v1/api-keys");
    const listed = data!.data.find((item) => item.id === key.id)!;
    expect(listed).toMatchObject({ prefix: key.prefix, name: "CRM sync" });
    expect(listed).not.toHaveProperty("secret");
    expect(JSON.stringify(data)).not.toContain(key.secret.slice(key.prefix.length));
  });

  it("refuses scopes beyond the key's role, a past expiry, and a user role", async () => {
    const beyond = await owner.client.POST("/v1/api-keys", { body: { name: "x", role: "agent", scopes: ["tickets:read", "webhooks:read"] } });
    expect(beyond.response.status).toBe(400);
    expect(beyond.error).toMatchObject({ errors: [{ pointer: "/scopes/1", detail: expect.stringContaining("webhooks:read is beyond the agent role") }] });
    const past = await owner.client.POST("/v1/api-keys", { body: { name: "x", role: "admin", expiresAt: "2020-01-01T00:00:00Z" } });
    expect(past.error).toMatchObject({ status: 400, errors: [{ pointer: "/expiresAt" }] });
    const asUser = await owner.client.POST("/v1/api-keys", { body: { name: "x", role: "user" as "agent" } });
    expect(asUser.response.status).toBe(400);
  });

  it("is for admins in person: not agents, and not API keys", async () => {
    const agent = await addMember(server, owner, "agent");
    expect((await agent.client.POST("/v1/api-keys", { body: { name: "mine", role: "agent" } })).response.status).toBe(403);
    expect((await agent.client.GET("/v1/api-keys")).response.status).toBe(403);
    const adminKey = await createKey(owner.client, { name: "full admin", role: "admin" });
    const minted = await withKey(adminKey).POST("/v1/api-keys", { body: { name: "child", role: "admin" } });
    expect(minted.response.status).toBe(403);
    expect(minted.error?.detail).toContain("not open to API keys");
    expect((await withKey(adminKey).DELETE("/v1/api-keys/{apiKeyId}", { params: { path: { apiKeyId: adminKey.id } } })).response.status).toBe(403);
    // Nor does a key pass for its creator where only a person will do.
    expect((await withKey(adminKey).GET("/v1/auth/me")).response.status).toBe(403);
  });
});

describe("using a key", () => {
  it("reads and creates tickets; what it creates is its creator's, and it records its last use", async () => {
    const key = await createKey(owner.client, { name: "integration", role: "agent" });
    const client = withKey(key);
    const ticket = await openTicket(client, { title: "From the CRM" });
    expect(ticket.requesterId).toBe(owner.admin.id);
    const read = await client.GET("/v1/tickets/{ticketId}", ticketPath(ticket.id));
    expect(read.data?.title).toBe("From the CRM");
    const comment = await client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "Synced." } });
    expect(comment.data?.authorId).toBe(owner.admin.id);
    // An agent key stays an agent: admin-only operations are refused.
    expect((await client.DELETE("/v1/tickets/{ticketId}", ticketPath(ticket.id))).response.status).toBe(403);

    await expect.poll(async () => (await owner.client.GET("/v1/api-keys")).data!.data.find((item) => item.id === key.id)!.lastUsedAt).not.toBeNull();
  });

  it("refuses an operation outside its scopes with a 403 naming the missing scope", async () => {
    const ticket = await openTicket(owner.client, { title: "Read me" });
    const key = await createKey(owner.client, { name: "read only", role: "agent", scopes: ["tickets:read"] });
    const client = withKey(key);
    expect((await client.GET("/v1/tickets/{ticketId}", ticketPath(ticket.id))).response.status).toBe(200);
    const write = await client.POST("/v1/tickets", { body: { title: "Nope" } });
    expect(write.response.status).toBe(403);
    expect(write.error).toMatchObject({ code: "insufficient_scope", detail: expect.stringContaining("tickets:write") });
    const comments = await client.GET("/v1/tickets/{ticketId}/comments", ticketPath(ticket.id));
    expect(comments.error?.detail).toContain("comments:read");
  });

  it("names the key, not its creator, as the actor in the audit trail, the activity and webhook payloads", async () => {
    const receiver: Receiver = await startReceiver();
    try {
      const hook = await owner.client.POST("/v1/webhooks", { body: { url: receiver.url("/key-actor"), eventTypes: ["ticket.created"] } });
      expect(hook.response.status).toBe(201);
      const key = await createKey(owner.client, { name: "actor", role: "agent" });
      const ticket = await openTicket(withKey(key), { title: "Who did this?" });

      // The trail shows an event once no older transaction anywhere on the server is still running: wait for it.
      const event = await eventually(async () => {
        const trail = await owner.client.GET("/v1/events", { params: { query: { type: ["ticket.created"] } } });
        const found = trail.data!.data.find((item) => item.entity.id === ticket.id);
        expect(found).toBeDefined();
        return found!;
      });
      expect(event.actor).toEqual({ type: "api_key", id: key.id });
      expect(await trailTypes(server, owner.client, { actorId: key.id })).toEqual(["ticket.created"]);
      // The key's creation, though, was the admin's doing.
      const created = await trail(server, owner.client, { type: ["api_key.created"] });
      expect(created.data.find((item) => item.entity.id === key.id)?.actor).toEqual({ type: "user", id: owner.admin.id });

      const activity = await owner.client.GET("/v1/tickets/{ticketId}/activity", ticketPath(ticket.id));
      expect(activity.data!.data[0]!.actor).toEqual({ type: "api_key", id: key.id });

      const requests = await receiver.waitFor("/key-actor", 1);
      const payload = verified(hook.data!.secret, requests.find((request) => request.body.includes(ticket.id))!);
      expect(payload.data.actor).toEqual({ type: "api_key", id: key.id });
    } finally {
      await receiver.close();
    }
  });

  it("has idempotency keys of its own: a user's key and the API key's never replay each other", async () => {
    const key = await createKey(owner.client, { name: "idempotent", role: "agent" });
    const headers = { "idempotency-key": "order-42" };
    const byAdmin = await owner.client.POST("/v1/tickets", { body: { title: "Order 42" }, headers });
    const byKey = await withKey(key).POST("/v1/tickets", { body: { title: "Order 42" }, headers });
    expect(byKey.response.status).toBe(201);
    expect(byKey.response.headers.get("idempotent-replayed")).not.toBe("true");
    expect(byKey.data!.id).not.toBe(byAdmin.data!.id);
    const retried = await withKey(key).POST("/v1/tickets", { body: { title: "Order 42" }, headers });
    expect(retried.response.headers.get("idempotent-replayed")).toBe("true");
    expect(retried.data!.id).toBe(byKey.data!.id);
  });

  it("has a rate limit of its own, apart from its creator's", async () => {
    const limited = await startServer({ rateLimit: { perMinute: 3, authPerMinute: 100_000 } });
    try {
      const tenant = await signUp(limited);
      const key = await createKey(tenant.client, { name: "own quota", role: "agent" });
      const client = createDocketClient({ baseUrl: limited.url, accessToken: key.secret });
      const byKey = [];
      for (let i = 0; i < 4; i++) byKey.push((await client.GET("/v1/tickets")).response.status);
      expect(byKey).toEqual([200, 200, 200, 429]);
      // The admin who created it has spent only the create call.
      expect((await tenant.client.GET("/v1/tickets")).response.status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe("keys that no longer work", () => {
  it("a revoked key answers 401 from the next request", async () => {
    const key = await createKey(owner.client, { name: "to revoke", role: "agent" });
    const client = withKey(key);
    expect((await client.GET("/v1/tickets")).response.status).toBe(200); // cached now
    const revoked = await owner.client.DELETE("/v1/api-keys/{apiKeyId}", { params: { path: { apiKeyId: key.id } } });
    expect(revoked.response.status).toBe(204);
    const refused = await client.GET("/v1/tickets");
    expect(refused.response.status).toBe(401);
    expect(refused.error?.detail).toContain("revoked");
    expect((await owner.client.GET("/v1/api-keys")).data!.data.map((item) => item.id)).not.toContain(key.id);
    expect((await owner.client.DELETE("/v1/api-keys/{apiKeyId}", { params: { path: { apiKeyId: key.id } } })).response.status).toBe(404);
    // The trail shows an event once no older transaction on the server is still running: wait for it.
    await eventually(async () => {
      const trail = await owner.client.GET("/v1/events", { params: { query: { type: ["api_key.revoked"] } } });
      expect(trail.data!.data.find((item) => item.entity.id === key.id)?.before).toMatchObject({ name: "to revoke", prefix: key.prefix });
    });
  });

  it("an expired key answers 401 saying so", async () => {
    const key = await createKey(owner.client, { name: "short-lived", role: "agent", expiresAt: new Date(Date.now() + 1_500).toISOString() });
    const client = withKey(key);
    expect((await client.GET("/v1/tickets")).response.status).toBe(200);
    await expect.poll(async () => (await client.GET("/v1/tickets")).response.status, { timeout: 5_000, interval: 250 }).toBe(401);
    expect((await client.GET("/v1/tickets")).error?.detail).toContain("expired");
  });

  it("a key of the other environment answers 401 naming it", async () => {
    const live = generateKey("live").secret;
    const { response, error } = await createDocketClient({ baseUrl: server.url, accessToken: live }).GET("/v1/tickets");
    expect(response.status).toBe(401);
    expect(error?.detail).toContain("dkt_live_ key; this server accepts dkt_test_ keys only");
  });

  it("a key whose creator is deactivated stops working; demoted, it acts no higher than its creator", async () => {
    const second = await addMember(server, owner, "admin");
    const adminKey = await createKey(second.client, { name: "second's", role: "admin" });
    expect((await withKey(adminKey).GET("/v1/events")).response.status).toBe(200);
    await owner.client.PATCH("/v1/users/{userId}", { params: { path: { userId: second.user.id } }, body: { role: "agent" } });
    expect((await withKey(adminKey).GET("/v1/events")).response.status).toBe(403);
    expect((await withKey(adminKey).GET("/v1/tickets")).response.status).toBe(200);
    await owner.client.DELETE("/v1/users/{userId}", { params: { path: { userId: second.user.id } } });
    const refused = await withKey(adminKey).GET("/v1/tickets");
    expect(refused.response.status).toBe(401);
    expect(refused.error?.detail).toContain("deactivated");
  });
});

describe("a mistyped key", () => {
  it("fails its checksum whichever one character is wrong (CRC32 catches every single-character change)", () => {
    const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    for (let n = 0; n < 100; n++) {
      const { secret } = generateKey("test");
      expect(parseKey(secret)).toMatchObject({ ok: true, environment: "test", prefix: secret.slice(0, 17) });
      for (let at = "dkt_test_".length; at < secret.length; at++) {
        const other = alphabet[(alphabet.indexOf(secret[at]!) + 1 + (n % 61)) % 62]!;
        expect(parseKey(secret.slice(0, at) + other + secret.slice(at + 1))).toEqual({ ok: false, reason: "checksum" });
      }
    }
  });

  it("is refused with 401 before any database query", async () => {
    const key = await createKey(owner.client, { name: "typo", role: "agent" });
    let queries = 0;
    // Counting, not faking: every statement of this server goes through one of its two pools
    // (the tenants' and the system's, which looks keys up), and still does.
    const pools = [server.database.pool, server.database.system.pool];
    const originals = pools.map((pool) => ({ pool, query: pool.query.bind(pool), connect: pool.connect.bind(pool) }));
    for (const { pool, query, connect } of originals) {
      pool.query = ((...args: Parameters<typeof pool.query>) => {
        queries++;
        return (query as (...a: unknown[]) => unknown)(...args);
      }) as typeof pool.query;
      pool.connect = ((...args: Parameters<typeof pool.connect>) => {
        queries++;
        return (connect as (...a: unknown[]) => unknown)(...args);
      }) as typeof pool.connect;
    }
    try {
      const random = key.secret.slice("dkt_test_".length, -6);
      const swapped = random[10] === "a" ? "b" : "a";
      const typo = `dkt_test_${random.slice(0, 10)}${swapped}${random.slice(11)}${key.secret.slice(-6)}`;
      const truncated = key.secret.slice(0, -1);
      const before = queries;
      for (const bad of [typo, truncated]) {
        const { response, error } = await createDocketClient({ baseUrl: server.url, accessToken: bad }).GET("/v1/tickets");
        expect(response.status).toBe(401);
        expect(error?.detail).toMatch(/checksum|not shaped like/);
      }
      expect(queries - before).toBe(0);

      // The control: a well-formed key nobody issued does cost a lookup, so the count above means something.
      const unknown = generateKey("test").secret;
      expect((await createDocketClient({ baseUrl: server.url, accessToken: unknown }).GET("/v1/tickets")).response.status).toBe(401);
      expect(queries - before).toBeGreaterThan(0);
    } finally {
      for (const { pool, query, connect } of originals) {
        pool.query = query as typeof pool.query;
        pool.connect = connect as typeof pool.connect;
      }
    }
  });
});

describe("across instances", () => {
  let second: OtherInstance;
  // A cache TTL far longer than the test: only the notification can explain a prompt 401.
  beforeAll(async () => {
    second = await startOtherInstance(server, { sessionCacheTtlSeconds: 60 });
  });
  afterAll(async () => {
    await second.close();
  });

  it("a revocation on one instance reaches the other's cache at once", async () => {
    const key = await createKey(owner.client, { name: "two instances", role: "agent" });
    const onSecond = withKey(key, second.url);
    expect((await onSecond.GET("/v1/tickets")).response.status).toBe(200); // cached there for 60 s
    await owner.client.DELETE("/v1/api-keys/{apiKeyId}", { params: { path: { apiKeyId: key.id } } });
    await expect.poll(async () => (await onSecond.GET("/v1/tickets")).response.status, { timeout: 3_000 }).toBe(401);
  });
});
