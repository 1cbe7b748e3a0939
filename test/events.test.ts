// Every mutation appends an Event in the same transaction as the change (DESIGN.md, principle 3).
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

async function eventsOf(tenantId: string) {
  return server.database.system.prisma.event.findMany({ where: { tenantId }, orderBy: { seq: "asc" } });
}

describe("the event log", () => {
  it("records signup, user changes, logins and tenant changes with actor and before/after", async () => {
    const owner = await signUp(server);
    const member = await addMember(server, owner, "agent");
    await owner.client.PATCH("/v1/users/{userId}", { params: { path: { userId: member.user.id } }, body: { role: "admin", name: "Promoted" } });
    await owner.client.DELETE("/v1/users/{userId}", { params: { path: { userId: member.user.id } } });
    await owner.client.PATCH("/v1/tenant", { body: { name: "Renamed" } });
    await server.client().POST("/v1/auth/logout", { body: { refreshToken: owner.client.tokens.refreshToken! } });

    const events = await eventsOf(owner.tenant.id);
    expect(events.map((event) => event.type)).toEqual([
      "tenant.created",
      "user.created",
      "user.created",
      "auth.logged_in",
      "user.updated",
      "user.role_changed",
      "user.updated",
      "user.deactivated",
      "tenant.updated",
      "auth.logged_out",
    ]);
    const [, , created, , updated, roleChanged] = events;
    expect(created).toMatchObject({ actorType: "user", actorId: owner.admin.id, entityType: "user", entityId: member.user.id, before: null });
    expect(created!.after).toMatchObject({ email: member.user.email, role: "agent" });
    expect(JSON.stringify(events.map(({ before, after }) => ({ before, after })))).not.toMatch(/passwordHash|argon2/);
    expect(updated).toMatchObject({ before: { name: member.user.name, role: "agent" }, after: { name: "Promoted", role: "admin" } });
    expect(roleChanged).toMatchObject({ before: { role: "agent" }, after: { role: "admin" } });
    expect(events.every((event) => event.requestId)).toBe(true);
  });

  it("attributes the operator's changes to the operator", async () => {
    const owner = await signUp(server);
    await server.client().PATCH("/v1/platform/tenants/{tenantId}", {
      headers: { authorization: `Bearer ${server.config.platformOperatorToken}` },
      params: { path: { tenantId: owner.tenant.id } },
      body: { status: "suspended" },
    });
    const suspended = (await eventsOf(owner.tenant.id)).at(-1);
    expect(suspended).toMatchObject({ type: "tenant.suspended", actorType: "operator", actorId: null, before: { status: "active" }, after: { status: "suspended" } });
  });

  it("records a refresh-token replay as a security event", async () => {
    const owner = await signUp(server);
    const spent = owner.client.tokens.refreshToken!;
    const next = await server.client().POST("/v1/auth/refresh", { body: { refreshToken: spent } });
    await server.client().POST("/v1/auth/refresh", { body: { refreshToken: next.data!.refreshToken } });
    // Older than the token rotated last: a replay, not a second tab (see the reuse grace window).
    await server.client().POST("/v1/auth/refresh", { body: { refreshToken: spent } });
    expect((await eventsOf(owner.tenant.id)).at(-1)).toMatchObject({ type: "auth.refresh_token_reused", actorId: owner.admin.id });
  });

  it("writes no event for a change that failed", async () => {
    const owner = await signUp(server);
    const before = (await eventsOf(owner.tenant.id)).length;
    await owner.client.POST("/v1/users", { body: { email: owner.admin.email, name: "Duplicate", password: PASSWORD } });
    await owner.client.PATCH("/v1/users/{userId}", { params: { path: { userId: owner.admin.id } }, body: { role: "user" } });
    expect((await eventsOf(owner.tenant.id)).length).toBe(before);
  });
});
