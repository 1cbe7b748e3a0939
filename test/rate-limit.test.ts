import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { PASSWORD, signUp } from "./support/fixtures.ts";
import { partitionOf, tenantOf } from "../src/http/rate-limit.ts";
import type { Principal } from "../src/core/principal.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ rateLimit: { perMinute: 5, authPerMinute: 3 } });
});
afterAll(async () => {
  await server.close();
});

describe("rate limits", () => {
  it("limit log-in attempts per address with a 429 problem, Retry-After and RateLimit headers", async () => {
    const body = { tenantSlug: "nobody", email: "x@x.test", password: PASSWORD };
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 4; i++) {
      last = await fetch(`${server.url}/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect(last!.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const retryAfter = Number(last!.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(last!.headers.get("ratelimit-policy")).toBe('"sign-in";q=3;w=60');
    expect(last!.headers.get("ratelimit")).toBe(`"sign-in";r=0;t=${retryAfter}`);
    expect(await last!.json()).toMatchObject({ status: 429, code: "rate_limited", detail: expect.stringContaining('"sign-in"') });
  });

  it("limit failed authentication per address before the token is checked", async () => {
    const tenant = await signUp(server);
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await fetch(`${server.url}/v1/tickets`, { headers: { authorization: `Bearer not-a-token-${i}` } });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect(last!.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const retryAfter = Number(last!.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(last!.headers.get("ratelimit-policy")).toBe('"auth-failures";q=3;w=60');
    expect(last!.headers.get("ratelimit")).toBe(`"auth-failures";r=0;t=${retryAfter}`);
    expect(await last!.json()).toMatchObject({ status: 429, code: "rate_limited", detail: expect.stringContaining('"auth-failures"') });
    // A valid token from the same address waits out the window too: the address is what is limited.
    expect((await tenant.client.GET("/v1/tenant")).response.status).toBe(429);
  });

  it("limit each authenticated user separately, and never the probes", async () => {
    const other = await startServer({ rateLimit: { perMinute: 3, authPerMinute: 100, tenantPerMinute: 1_000_000 } });
    try {
      const a = await signUp(other);
      const b = await signUp(other);
      const responses = [];
      for (let i = 0; i < 4; i++) responses.push((await a.client.GET("/v1/tenant")).response);
      expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 429]);
      // Counted per process in memory (no REDIS_URL), with the draft's fields on every response.
      expect(responses.map((response) => response.headers.get("ratelimit")?.replace(/;t=\d+$/, ""))).toEqual([
        '"default";r=2',
        '"default";r=1',
        '"default";r=0',
        '"default";r=0',
      ]);
      expect(responses[0]!.headers.get("ratelimit-policy")).toBe('"default";q=3;w=60, "tenant";q=1000000;w=60');
      expect((await b.client.GET("/v1/tenant")).response.status).toBe(200);
      // Unknown routes count against the caller's address like any other request.
      const unknown = await fetch(`${other.url}/v1/no-such-thing`);
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get("ratelimit")).toMatch(/^"default";r=2;t=\d+$/);
      for (let i = 0; i < 5; i++) {
        const probe = await fetch(`${other.url}/healthz`);
        expect(probe.status).toBe(200);
        expect(probe.headers.get("ratelimit")).toBeNull();
      }
    } finally {
      await other.close();
    }
  });

  it("give each principal its own partition, an API key too, and count it against its tenant", () => {
    const user = { kind: "user", tenantId: "t1", userId: "u1", role: "agent", sessionId: "s1" } as const;
    expect(partitionOf(user, "192.0.2.1")).toBe("user:u1");
    expect(tenantOf(user)).toBe("t1");
    // A key has its own partition, not its creator's.
    const apiKey: Principal = { kind: "api_key", apiKeyId: "k1", tenantId: "t1", userId: "u1", role: "agent", scopes: null };
    expect(partitionOf(apiKey, "192.0.2.1")).toBe("api_key:k1");
    expect(tenantOf(apiKey)).toBe("t1");
    expect(partitionOf(null, "192.0.2.1")).toBe("address:192.0.2.1");
    expect(tenantOf({ kind: "operator" })).toBeUndefined();
  });
});
