import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { PASSWORD, signUp, uniqueSlug } from "./support/fixtures.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

const operator = () => ({ authorization: `Bearer ${server.config.platformOperatorToken}` });

describe("the platform operator", () => {
  it("creates a tenant whose admin can log in, and lists it", async () => {
    const slug = uniqueSlug("globex");
    const created = await server.client().POST("/v1/platform/tenants", {
      headers: operator(),
      body: { name: "Globex", slug, admin: { name: "Hank", email: `hank@${slug}.test`, password: PASSWORD } },
    });
    expect(created.response.status).toBe(201);
    expect(created.data).toMatchObject({ tenant: { slug, status: "active", deletedAt: null }, admin: { role: "admin" } });

    const login = await server.client().POST("/v1/auth/login", { body: { tenantSlug: slug, email: `hank@${slug}.test`, password: PASSWORD } });
    expect(login.response.status).toBe(200);

    const listed = await server.client().GET("/v1/platform/tenants", { headers: operator(), params: { query: { limit: 100 } } });
    expect(listed.data!.data.map((tenant) => tenant.slug)).toContain(slug);
  });

  it("suspends a tenant (sessions end, logins refused) and reactivates it", async () => {
    const owner = await signUp(server);
    const params = { path: { tenantId: owner.tenant.id } };
    const suspended = await server.client().PATCH("/v1/platform/tenants/{tenantId}", { headers: operator(), params, body: { status: "suspended" } });
    expect(suspended.data?.status).toBe("suspended");

    expect((await owner.client.GET("/v1/auth/me")).response.status).toBe(401);
    const login = await server.client().POST("/v1/auth/login", { body: { tenantSlug: owner.tenant.slug, email: owner.admin.email, password: PASSWORD } });
    expect(login.response.status).toBe(401);
    expect(login.error?.detail).toMatch(/suspended/);

    await server.client().PATCH("/v1/platform/tenants/{tenantId}", { headers: operator(), params, body: { status: "active" } });
    const again = await server.client().POST("/v1/auth/login", { body: { tenantSlug: owner.tenant.slug, email: owner.admin.email, password: PASSWORD } });
    expect(again.response.status).toBe(200);
  });

  it("applies a change of name and status together or not at all", async () => {
    const owner = await signUp(server);
    const params = { path: { tenantId: owner.tenant.id } };
    // A real failure half-way through: ending this tenant's sessions is refused by the database.
    const db = new pg.Client({ connectionString: server.databaseUrl });
    await db.connect();
    try {
      await db.query(`CREATE FUNCTION refuse_revocation() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'revocation refused'; END $$`);
      await db.query(`CREATE TRIGGER refuse_revocation BEFORE UPDATE ON "Session" FOR EACH ROW WHEN (NEW."tenantId" = '${owner.tenant.id}') EXECUTE FUNCTION refuse_revocation()`);
      const failed = await server.client().PATCH("/v1/platform/tenants/{tenantId}", { headers: operator(), params, body: { name: "Renamed", status: "suspended" } });
      expect(failed.response.status).toBe(500);
    } finally {
      await db.query(`DROP TRIGGER IF EXISTS refuse_revocation ON "Session"`);
      await db.query(`DROP FUNCTION IF EXISTS refuse_revocation()`);
      await db.end();
    }
    const unchanged = await server.client().GET("/v1/platform/tenants/{tenantId}", { headers: operator(), params });
    expect(unchanged.data).toMatchObject({ name: owner.tenant.name, status: "active" });

    const both = await server.client().PATCH("/v1/platform/tenants/{tenantId}", { headers: operator(), params, body: { name: "Renamed", status: "suspended" } });
    expect(both.data).toMatchObject({ name: "Renamed", status: "suspended" });
  });

  it("soft-deletes a tenant: gone for its users, visible to the operator, slug kept", async () => {
    const owner = await signUp(server);
    const params = { path: { tenantId: owner.tenant.id } };
    expect((await server.client().DELETE("/v1/platform/tenants/{tenantId}", { headers: operator(), params })).response.status).toBe(204);
    expect((await server.client().DELETE("/v1/platform/tenants/{tenantId}", { headers: operator(), params })).response.status).toBe(204);

    expect((await owner.client.GET("/v1/auth/me")).response.status).toBe(401);
    const login = await server.client().POST("/v1/auth/login", { body: { tenantSlug: owner.tenant.slug, email: owner.admin.email, password: PASSWORD } });
    expect(login.response.status).toBe(401);

    const seen = await server.client().GET("/v1/platform/tenants/{tenantId}", { headers: operator(), params });
    expect(seen.data).toMatchObject({ status: "deleted", deletedAt: expect.any(String) });
    const deletedList = await server.client().GET("/v1/platform/tenants", { headers: operator(), params: { query: { status: "deleted" } } });
    expect(deletedList.data!.data.map((tenant) => tenant.id)).toContain(owner.tenant.id);
    const activeList = await server.client().GET("/v1/platform/tenants", { headers: operator(), params: { query: { limit: 100 } } });
    expect(activeList.data!.data.map((tenant) => tenant.id)).not.toContain(owner.tenant.id);

    const reuse = await server.client().POST("/v1/auth/signup", { body: { tenantName: "x", tenantSlug: owner.tenant.slug, name: "x", email: "x@x.test", password: PASSWORD } });
    expect(reuse.response.status).toBe(409);
    const patch = await server.client().PATCH("/v1/platform/tenants/{tenantId}", { headers: operator(), params, body: { name: "Zombie" } });
    expect(patch.response.status).toBe(409);
  });

  it("answers 404 for an unknown tenant and 401 for a wrong operator token", async () => {
    const unknown = await server.client().GET("/v1/platform/tenants/{tenantId}", { headers: operator(), params: { path: { tenantId: "0192f1a0-0000-7000-8000-000000000000" } } });
    expect(unknown.response.status).toBe(404);
    const wrong = await server.client().GET("/v1/platform/tenants", { headers: { authorization: "Bearer not-the-operator-token" }, params: { query: {} } });
    expect(wrong.response.status).toBe(401);
  });

  it("is switched off entirely when no operator token is configured", async () => {
    const closed = await startServer({ platformOperatorToken: undefined });
    try {
      const { response, error } = await closed.client().GET("/v1/platform/tenants", { headers: { authorization: "Bearer anything-at-all" }, params: { query: {} } });
      expect(response.status).toBe(401);
      expect(error?.detail).toMatch(/disabled/);
    } finally {
      await closed.close();
    }
  });
});
