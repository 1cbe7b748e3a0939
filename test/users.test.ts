import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { PASSWORD, addMember, signUp } from "./support/fixtures.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

describe("admins manage users", () => {
  it("creates, updates and reactivates a user", async () => {
    const owner = await signUp(server);
    const created = await owner.client.POST("/v1/users", {
      body: { email: "Grace@Example.test", name: "Grace", role: "agent", password: PASSWORD, skills: ["billing"] },
    });
    expect(created.response.status).toBe(201);
    expect(created.data).toMatchObject({ email: "grace@example.test", role: "agent", skills: ["billing"], active: true, lastLoginAt: null });
    expect(created.data).not.toHaveProperty("passwordHash");
    const userId = created.data!.id;

    const updated = await owner.client.PATCH("/v1/users/{userId}", { params: { path: { userId } }, body: { role: "admin", skills: ["billing", "refunds"] } });
    expect(updated.data).toMatchObject({ role: "admin", skills: ["billing", "refunds"] });

    await owner.client.DELETE("/v1/users/{userId}", { params: { path: { userId } } });
    const listed = await owner.client.GET("/v1/users", { params: { query: { active: false } } });
    expect(listed.data!.data.map((user) => user.id)).toEqual([userId]);
    expect(listed.data!.data[0]!.deactivatedAt).not.toBeNull();

    const back = await owner.client.PATCH("/v1/users/{userId}", { params: { path: { userId } }, body: { active: true } });
    expect(back.data).toMatchObject({ active: true, deactivatedAt: null });
    const login = await server.client().POST("/v1/auth/login", { body: { tenantSlug: owner.tenant.slug, email: "grace@example.test", password: PASSWORD } });
    expect(login.response.status).toBe(200);
  });

  it("answers 409 for an email already in the tenant", async () => {
    const owner = await signUp(server);
    const { response, error } = await owner.client.POST("/v1/users", { body: { email: owner.admin.email.toUpperCase(), name: "Twin", password: PASSWORD } });
    expect(response.status).toBe(409);
    expect(error?.code).toBe("email_taken");
  });

  it("pages through users newest first with an opaque cursor", async () => {
    const owner = await signUp(server);
    for (let i = 0; i < 5; i++) await owner.client.POST("/v1/users", { body: { email: `u${i}@page.test`, name: `User ${i}`, password: PASSWORD } });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const { data } = await owner.client.GET("/v1/users", { params: { query: { limit: 2, cursor } } });
      expect(data!.data.length).toBeLessThanOrEqual(2);
      seen.push(...data!.data.map((user) => user.name));
      cursor = data!.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(["User 4", "User 3", "User 2", "User 1", "User 0", "Ada Admin"]);

    const bad = await owner.client.GET("/v1/users", { params: { query: { cursor: "not-a-cursor" } } });
    expect(bad.response.status).toBe(400);
    expect(bad.error?.errors).toEqual([{ parameter: "cursor", detail: expect.stringMatching(/nextCursor/) }]);
  });
});

describe("the last admin", () => {
  it("cannot be demoted or deactivated, by themselves or anyone", async () => {
    const owner = await signUp(server);
    const demote = await owner.client.PATCH("/v1/users/{userId}", { params: { path: { userId: owner.admin.id } }, body: { role: "agent" } });
    expect(demote.response.status).toBe(409);
    expect(demote.error?.code).toBe("last_admin");

    const second = await addMember(server, owner, "admin");
    const deactivateSelf = await owner.client.DELETE("/v1/users/{userId}", { params: { path: { userId: owner.admin.id } } });
    expect(deactivateSelf.response.status).toBe(409);
    expect(deactivateSelf.error?.code).toBe("cannot_deactivate_self");

    // With two admins, demoting one is fine; the other is then the last.
    expect((await second.client.PATCH("/v1/users/{userId}", { params: { path: { userId: owner.admin.id } }, body: { role: "agent" } })).response.status).toBe(200);
    expect((await second.client.PATCH("/v1/users/{userId}", { params: { path: { userId: second.user.id } }, body: { role: "agent" } })).response.status).toBe(409);
  });

  it("survives two admins demoting each other at the same moment", async () => {
    const owner = await signUp(server);
    const second = await addMember(server, owner, "admin");
    const results = await Promise.all([
      owner.client.PATCH("/v1/users/{userId}", { params: { path: { userId: second.user.id } }, body: { role: "agent" } }),
      second.client.PATCH("/v1/users/{userId}", { params: { path: { userId: owner.admin.id } }, body: { role: "agent" } }),
    ]);
    const statuses = results.map((result) => result.response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    const admins = await server.database.system.prisma.user.count({ where: { tenantId: owner.tenant.id, role: "admin", active: true } });
    expect(admins).toBe(1);
  });
});

describe("self-service", () => {
  it("lets anyone rename themselves and change their password with the current one", async () => {
    const owner = await signUp(server);
    const member = await addMember(server, owner, "user");
    const params = { path: { userId: member.user.id } };
    expect((await member.client.PATCH("/v1/users/{userId}", { params, body: { name: "New Name" } })).data?.name).toBe("New Name");

    const noCurrent = await member.client.PATCH("/v1/users/{userId}", { params, body: { password: "a brand new password" } });
    expect(noCurrent.response.status).toBe(400);
    expect(noCurrent.error?.errors).toEqual([{ pointer: "/currentPassword", detail: "is required to change your own password" }]);
    const wrongCurrent = await member.client.PATCH("/v1/users/{userId}", { params, body: { password: "a brand new password", currentPassword: "wrong" } });
    expect(wrongCurrent.response.status).toBe(400);
    const changed = await member.client.PATCH("/v1/users/{userId}", { params, body: { password: "a brand new password", currentPassword: PASSWORD } });
    expect(changed.response.status).toBe(200);
    const login = await server.client().POST("/v1/auth/login", { body: { tenantSlug: owner.tenant.slug, email: member.user.email, password: "a brand new password" } });
    expect(login.response.status).toBe(200);
  });

  it("never lets anyone raise their own role or change admin-only fields", async () => {
    const owner = await signUp(server);
    const agent = await addMember(server, owner, "agent");
    const customer = await addMember(server, owner, "user");
    for (const member of [agent, customer]) {
      const params = { path: { userId: member.user.id } };
      const raise = await member.client.PATCH("/v1/users/{userId}", { params, body: { role: "admin" } });
      expect(raise.response.status).toBe(403);
      const skills = await member.client.PATCH("/v1/users/{userId}", { params, body: { skills: ["vip"] } });
      expect(skills.response.status).toBe(403);
      expect(skills.error?.detail).toBe("Only admins change skills.");
    }
    const agentOnOther = await agent.client.PATCH("/v1/users/{userId}", { params: { path: { userId: customer.user.id } }, body: { name: "Renamed" } });
    expect(agentOnOther.response.status).toBe(403);
    const stillUser = await owner.client.GET("/v1/users/{userId}", { params: { path: { userId: customer.user.id } } });
    expect(stillUser.data).toMatchObject({ role: "user", name: customer.user.name });
  });
});

describe("the tenant document", () => {
  it("lets admins rename it and merge settings, and checks the time zone", async () => {
    const owner = await signUp(server);
    await owner.client.PATCH("/v1/tenant", { body: { settings: { locale: "fr-FR" } } });
    const updated = await owner.client.PATCH("/v1/tenant", { body: { name: "Acme Care", settings: { timezone: "Europe/Paris" } } });
    expect(updated.data).toMatchObject({ name: "Acme Care", settings: { locale: "fr-FR", timezone: "Europe/Paris" } });
    const bad = await owner.client.PATCH("/v1/tenant", { body: { settings: { timezone: "Mars/Olympus" } } });
    expect(bad.response.status).toBe(400);
    expect(bad.error?.errors?.[0]?.pointer).toBe("/settings/timezone");
  });
});

describe("changing a password", () => {
  it("ends the user's other sessions but keeps the one that changed it", async () => {
    const owner = await signUp(server);
    const member = await addMember(server, owner, "agent");
    const otherDevice = server.client();
    await otherDevice.POST("/v1/auth/login", { body: { tenantSlug: owner.tenant.slug, email: member.user.email, password: PASSWORD } });
    expect((await otherDevice.GET("/v1/auth/me")).response.status).toBe(200);

    const changed = await member.client.PATCH("/v1/users/{userId}", { params: { path: { userId: member.user.id } }, body: { password: "a fresh new password", currentPassword: PASSWORD } });
    expect(changed.response.status).toBe(200);
    expect((await member.client.GET("/v1/auth/me")).response.status).toBe(200);
    expect((await server.client({ accessToken: otherDevice.tokens.accessToken }).GET("/v1/auth/me")).response.status).toBe(401);

    // An admin resetting it ends every session of that user.
    await owner.client.PATCH("/v1/users/{userId}", { params: { path: { userId: member.user.id } }, body: { password: "an admin chosen password" } });
    expect((await server.client({ accessToken: member.client.tokens.accessToken }).GET("/v1/auth/me")).response.status).toBe(401);
  });
});

describe("idempotency keys", () => {
  it("are purged after 24 hours", async () => {
    const { purgeExpiredIdempotencyKeys } = await import("../src/core/idempotency.ts");
    const owner = await signUp(server);
    await owner.client.POST("/v1/tickets", { body: { title: "x" }, headers: { "idempotency-key": "old-key" } });
    await server.database.system.pool.query(`UPDATE "IdempotencyKey" SET "createdAt" = now() - interval '25 hours' WHERE key = 'old-key'`);
    expect(await purgeExpiredIdempotencyKeys(server.database.system.prisma)).toBeGreaterThanOrEqual(1);
    expect((await server.database.system.pool.query(`SELECT 1 FROM "IdempotencyKey" WHERE key = 'old-key'`)).rowCount).toBe(0);
  });
});
