import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trail } from "./support/events.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { PASSWORD, addMember, signUp, uniqueSlug, type SignedUpTenant } from "./support/fixtures.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

describe("signup → login → refresh → reuse detection → logout", () => {
  it("walks a session through its whole life", async () => {
    const slug = uniqueSlug("acme");
    const { client, tenant, admin } = await signUp(server, slug);
    expect(tenant.slug).toBe(slug);
    expect(admin.role).toBe("admin");

    const me = await client.GET("/v1/auth/me");
    expect(me.data?.user.email).toBe(`ada@${slug}.test`);
    expect(me.data?.tenant.id).toBe(tenant.id);

    // Log in on a second device: email is case-insensitive.
    const device = server.client();
    const login = await device.POST("/v1/auth/login", { body: { tenantSlug: slug, email: `ADA@${slug}.test`, password: PASSWORD } });
    expect(login.response.status).toBe(200);
    expect(login.data?.expiresIn).toBe(900);
    const firstRefresh = login.data!.refreshToken;

    // Refresh rotates: a new pair, and the old refresh token is spent.
    const refreshed = await server.client().POST("/v1/auth/refresh", { body: { refreshToken: firstRefresh } });
    expect(refreshed.response.status).toBe(200);
    expect(refreshed.data!.refreshToken).not.toBe(firstRefresh);
    const secondAccess = refreshed.data!.accessToken;
    expect((await server.client({ accessToken: secondAccess }).GET("/v1/auth/me")).response.status).toBe(200);

    // The successor is used in turn; presenting the first token again now is theft: 401, and the
    // whole session is revoked.
    const successor = await server.client().POST("/v1/auth/refresh", { body: { refreshToken: refreshed.data!.refreshToken } });
    expect(successor.response.status).toBe(200);
    const replay = await server.client().POST("/v1/auth/refresh", { body: { refreshToken: firstRefresh } });
    expect(replay.response.status).toBe(401);
    expect(replay.error?.code).toBe("unauthorized");
    expect((await server.client({ accessToken: secondAccess }).GET("/v1/auth/me")).response.status).toBe(401);
    expect((await server.client().POST("/v1/auth/refresh", { body: { refreshToken: successor.data!.refreshToken } })).response.status).toBe(401);

    // The first device's session is untouched by the second's revocation; logout ends it.
    expect((await client.GET("/v1/auth/me")).response.status).toBe(200);
    const logout = await server.client().POST("/v1/auth/logout", { body: { refreshToken: client.tokens.refreshToken! } });
    expect(logout.response.status).toBe(204);
    const after = await server.client({ accessToken: client.tokens.accessToken }).GET("/v1/auth/me");
    expect(after.response.status).toBe(401);
    expect(after.error?.detail).toMatch(/session has ended/);
    expect((await server.client().POST("/v1/auth/refresh", { body: { refreshToken: client.tokens.refreshToken! } })).response.status).toBe(401);
  });

  it("refuses a wrong password, an unknown email and an unknown tenant alike", async () => {
    const { tenant } = await signUp(server);
    const attempts = [
      { tenantSlug: tenant.slug, email: `ada@${tenant.slug}.test`, password: "not the password" },
      { tenantSlug: tenant.slug, email: "nobody@nowhere.test", password: PASSWORD },
      { tenantSlug: uniqueSlug("ghost"), email: `ada@${tenant.slug}.test`, password: PASSWORD },
    ];
    for (const body of attempts) {
      const { response, error } = await server.client().POST("/v1/auth/login", { body });
      expect(response.status).toBe(401);
      expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(error).toMatchObject({ code: "invalid_credentials", detail: "The tenant, email or password is wrong." });
    }
  });

  it("rejects a signup whose slug is taken with a 409", async () => {
    const { tenant } = await signUp(server);
    const { response, error } = await server.client().POST("/v1/auth/signup", {
      body: { tenantName: "Copycat", tenantSlug: tenant.slug, name: "Eve", email: "eve@copycat.test", password: PASSWORD },
    });
    expect(response.status).toBe(409);
    expect(error?.code).toBe("slug_taken");
  });

  it("rejects forged, garbled and missing access tokens", async () => {
    const { client } = await signUp(server);
    const [header, payload] = client.tokens.accessToken!.split(".");
    const forged = `${header}.${payload}.${"A".repeat(43)}`;
    for (const authorization of [`Bearer ${forged}`, "Bearer not-a-jwt", "Basic dXNlcjpwYXNz", ""]) {
      const { response, error } = await server.client().GET("/v1/auth/me", { headers: authorization ? { authorization } : {} });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="docket"');
      expect(error?.code).toBe("unauthorized");
    }
  });

  it("rejects an access token signed with another server's secret", async () => {
    const other = await startServer();
    try {
      const { client } = await signUp(other);
      const { response } = await server.client({ accessToken: client.tokens.accessToken }).GET("/v1/auth/me");
      expect(response.status).toBe(401);
    } finally {
      await other.close();
    }
  });
});

describe("two tabs refreshing at once", () => {
  const refresh = (target: TestServer, refreshToken: string) => target.client().POST("/v1/auth/refresh", { body: { refreshToken } });
  const me = (target: TestServer, accessToken: string) => target.client({ accessToken }).GET("/v1/auth/me");

  /** The reuse events in the tenant's audit trail, read from a new session of its admin. */
  async function reuseEvents(target: TestServer, tenant: SignedUpTenant) {
    const admin = await target.client().POST("/v1/auth/login", { body: { tenantSlug: tenant.tenant.slug, email: tenant.admin.email, password: PASSWORD } });
    return (await trail(target, target.client({ accessToken: admin.data!.accessToken }), { type: ["auth.refresh_token_reused"] })).data;
  }

  it("gives both a working pair in the same session, and theft is still caught", async () => {
    const tenant = await signUp(server);
    const shared = tenant.client.tokens.refreshToken!;
    const tabs = await Promise.all([refresh(server, shared), refresh(server, shared)]);
    expect(tabs.map((tab) => tab.response.status)).toEqual([200, 200]);
    const [first, second] = tabs.map((tab) => tab.data!);
    for (const pair of [first!, second!]) expect((await me(server, pair.accessToken)).response.status).toBe(200);
    expect(await reuseEvents(server, tenant)).toEqual([]);

    // One tab refreshes again: the token both started from is now an older one, and presenting
    // it is theft, which ends the session.
    expect((await refresh(server, first!.refreshToken)).response.status).toBe(200);
    expect((await refresh(server, shared)).response.status).toBe(401);
    expect((await me(server, second!.accessToken)).response.status).toBe(401);
    await expect.poll(async () => (await reuseEvents(server, tenant)).length, { timeout: 10_000 }).toBe(1);
  });

  it("revokes the session when the token just rotated comes back after the grace window", async () => {
    const strict = await startServer({ refreshReuseGraceSeconds: 1 });
    try {
      const tenant = await signUp(strict);
      const spent = tenant.client.tokens.refreshToken!;
      const rotated = await refresh(strict, spent);
      expect(rotated.response.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      expect((await refresh(strict, spent)).response.status).toBe(401);
      expect((await me(strict, rotated.data!.accessToken)).response.status).toBe(401);
      // Each look logs in (an argon2 check): under a loaded CI, more than the default second.
      await expect.poll(async () => (await reuseEvents(strict, tenant)).length, { timeout: 10_000 }).toBe(1);
    } finally {
      await strict.close();
    }
  });
});

describe("the SDK's session handling", () => {
  it("refreshes once on a 401 and retries the request", async () => {
    const owner = await signUp(server);
    // An access token that no longer works (its session was revoked) beside a valid refresh token.
    const stale = owner.client.tokens.accessToken!;
    const second = server.client();
    await second.POST("/v1/auth/login", { body: { tenantSlug: owner.tenant.slug, email: `ada@${owner.tenant.slug}.test`, password: PASSWORD } });
    await server.client().POST("/v1/auth/logout", { body: { refreshToken: owner.client.tokens.refreshToken! } });
    const client = server.client({ accessToken: stale, refreshToken: second.tokens.refreshToken });

    const me = await client.GET("/v1/auth/me");
    expect(me.response.status).toBe(200);
    expect(client.tokens.accessToken).not.toBe(stale);
    expect(client.tokens.refreshToken).not.toBe(second.tokens.refreshToken);
  });

  it("shares one refresh between concurrent 401s, so rotation never looks like theft", async () => {
    const owner = await signUp(server);
    const member = await addMember(server, owner, "agent");
    const refreshToken = member.client.tokens.refreshToken!;
    const client = server.client({ accessToken: "expired.or.garbage", refreshToken });
    const results = await Promise.all([client.GET("/v1/auth/me"), client.GET("/v1/tenant"), client.GET("/v1/users")]);
    expect(results.map((result) => result.response.status)).toEqual([200, 200, 200]);
    expect((await client.GET("/v1/auth/me")).response.status).toBe(200);
  });

  it("gives up after one failed refresh and reports the 401", async () => {
    const client = server.client({ accessToken: "garbage", refreshToken: "drt_unknown" });
    const { response } = await client.GET("/v1/auth/me");
    expect(response.status).toBe(401);
    expect(client.tokens.refreshToken).toBeUndefined();
  });
});

describe("who can log in", () => {
  it("ends a deactivated user's sessions at once and refuses their login", async () => {
    const owner = await signUp(server);
    const member = await addMember(server, owner, "agent");
    expect((await member.client.GET("/v1/auth/me")).response.status).toBe(200);

    const deactivated = await owner.client.DELETE("/v1/users/{userId}", { params: { path: { userId: member.user.id } } });
    expect(deactivated.response.status).toBe(204);

    expect((await server.client({ accessToken: member.client.tokens.accessToken }).GET("/v1/auth/me")).response.status).toBe(401);
    expect((await server.client().POST("/v1/auth/refresh", { body: { refreshToken: member.client.tokens.refreshToken! } })).response.status).toBe(401);
    const login = await server.client().POST("/v1/auth/login", { body: { tenantSlug: owner.tenant.slug, email: member.user.email, password: PASSWORD } });
    expect(login.response.status).toBe(401);
    expect(login.error?.detail).toMatch(/deactivated/);
  });

  it("applies a role change to existing tokens immediately", async () => {
    const owner = await signUp(server);
    const member = await addMember(server, owner, "agent");
    expect((await member.client.GET("/v1/users")).response.status).toBe(200);
    await owner.client.PATCH("/v1/users/{userId}", { params: { path: { userId: member.user.id } }, body: { role: "user" } });
    expect((await member.client.GET("/v1/users")).response.status).toBe(403);
  });
});
