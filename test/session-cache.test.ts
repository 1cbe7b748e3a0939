import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessionCache } from "../src/modules/auth/session-cache.ts";
import { createTokenIssuer, type AccessClaims } from "../src/modules/auth/tokens.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { signUp } from "./support/fixtures.ts";
import { openTicket, ticketPath } from "./support/tickets.ts";

describe("the session cache", () => {
  it("remembers a verified session until its TTL runs out", () => {
    let now = 1_000;
    const cache = createSessionCache(5_000, { now: () => now });
    cache.remember("s1", { tenantId: "t1", userId: "u1", role: "agent" }, cache.generation());
    expect(cache.get("s1")).toMatchObject({ tenantId: "t1", userId: "u1", role: "agent" });
    now += 5_001;
    expect(cache.get("s1")).toBeUndefined();
  });

  it("forgets everything when a session may have changed", () => {
    const cache = createSessionCache(5_000);
    cache.remember("s1", { tenantId: "t1", userId: "u1", role: "admin" }, cache.generation());
    cache.invalidate({ ended: [], roleChanged: [] });
    expect(cache.get("s1")).toBeUndefined();
  });

  it("drops a read that started before a revocation committed, so it cannot resurrect the session", () => {
    const cache = createSessionCache(5_000);
    const before = cache.generation(); // a request reads the session (still valid)…
    cache.invalidate({ ended: [], roleChanged: [] }); // …a logout commits meanwhile…
    cache.remember("s1", { tenantId: "t1", userId: "u1", role: "user" }, before); // …and the stale read arrives.
    expect(cache.get("s1")).toBeUndefined();
  });

  it("remembers nothing with a TTL of 0", () => {
    const cache = createSessionCache(0);
    cache.remember("s1", { tenantId: "t1", userId: "u1", role: "user" }, cache.generation());
    expect(cache.get("s1")).toBeUndefined();
  });
});

describe("a session the cache vouches for", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it("does not lend itself to a token naming another tenant or user", async () => {
    const acme = await signUp(server);
    const globex = await signUp(server);
    const secret = await openTicket(globex.client, { title: "Globex merger plans" });
    // Warm the cache with acme's session.
    expect((await acme.client.GET("/v1/tickets", { params: { query: {} } })).response.status).toBe(200);

    const claims = decodeClaims(acme.client.tokens.accessToken!);
    const issuer = createTokenIssuer(server.config);
    const forgeries = [
      { ...claims, tid: globex.tenant.id },
      { ...claims, sub: globex.admin.id },
      { ...claims, tid: globex.tenant.id, sub: globex.admin.id },
    ];
    for (const forged of forgeries) {
      const client = server.client({ accessToken: issuer.signAccessToken(forged) });
      const listed = await client.GET("/v1/tickets", { params: { query: {} } });
      expect(listed.response.status).toBe(401);
      expect(JSON.stringify(listed.data ?? listed.error)).not.toContain(secret.id);
      expect((await client.GET("/v1/tickets/{ticketId}", ticketPath(secret.id))).response.status).toBe(401);
    }
    // The real token still works.
    expect((await acme.client.GET("/v1/auth/me")).data?.tenant.id).toBe(acme.tenant.id);
  });
});

function decodeClaims(token: string): AccessClaims {
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as AccessClaims;
}
