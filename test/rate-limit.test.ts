import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { PASSWORD, signUp } from "./support/fixtures.ts";

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
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(last!.headers.get("ratelimit-limit")).toBe("3");
    expect(last!.headers.get("ratelimit-remaining")).toBe("0");
    expect(await last!.json()).toMatchObject({ status: 429, code: "rate_limited" });
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
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(last!.headers.get("ratelimit-limit")).toBe("3");
    expect(last!.headers.get("ratelimit-remaining")).toBe("0");
    expect(await last!.json()).toMatchObject({ status: 429, code: "rate_limited" });
    // A valid token from the same address waits out the window too: the address is what is limited.
    expect((await tenant.client.GET("/v1/tenant")).response.status).toBe(429);
  });

  it("limit each authenticated user separately, and never the probes", async () => {
    const other = await startServer({ rateLimit: { perMinute: 3, authPerMinute: 100 } });
    try {
      const a = await signUp(other);
      const b = await signUp(other);
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await a.client.GET("/v1/tenant")).response.status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect((await b.client.GET("/v1/tenant")).response.status).toBe(200);
      for (let i = 0; i < 5; i++) expect((await fetch(`${other.url}/healthz`)).status).toBe(200);
    } finally {
      await other.close();
    }
  });
});
