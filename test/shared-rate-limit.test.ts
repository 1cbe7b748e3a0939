// Rate limits shared through Redis (REDIS_URL): two API instances on one database and one Redis
// count every request once, a restart forgets nothing, the tenant quota spans a tenant's users,
// and Redis going away leaves the API up (see src/http/rate-limit.ts for what each limit does).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Config } from "../src/config.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { startRedis, type TestRedis } from "./support/redis.ts";
import { PASSWORD, addMember, signUp } from "./support/fixtures.ts";

const PER_MINUTE = 5;
const TENANT_PER_MINUTE = 8;
const AUTH_PER_MINUTE = 3;

let redis: TestRedis;
let a: TestServer;
let b: TestServer;

/** Another instance of a's deployment: same database, same Redis, same signing secret. */
function instanceOf(first: TestServer): Promise<TestServer> {
  return startServer({ ...sharedConfig(), jwtSecret: first.config.jwtSecret, workers: false }, { databaseUrl: first.databaseUrl });
}

function sharedConfig(): Partial<Config> {
  return { redisUrl: redis.url, rateLimit: { perMinute: PER_MINUTE, authPerMinute: AUTH_PER_MINUTE, tenantPerMinute: TENANT_PER_MINUTE } };
}

/** The RateLimit field without its `t`, which depends on when the window started. */
const remainingOf = (response: Response) => response.headers.get("ratelimit")?.replace(/;t=\d+$/, "");

beforeAll(async () => {
  redis = await startRedis();
  a = await startServer(sharedConfig());
  b = await instanceOf(a);
});
afterAll(async () => {
  await b?.close();
  await a?.close();
  await redis?.close();
});
// Every test counts from zero (its arrangement signs up and logs in, which counts too).
beforeEach(async () => {
  if (redis.client.status !== "ready") await redis.start();
});

async function fresh(): Promise<void> {
  await redis.client.flushall();
}

describe("rate limits shared through Redis", () => {
  it("count requests on two instances against one quota, the fields counting down across both", async () => {
    const owner = await signUp(a);
    const onB = b.client({ accessToken: owner.client.tokens.accessToken });
    await fresh();

    const results = [];
    for (let i = 0; i < 6; i++) results.push(await (i % 2 === 0 ? owner.client : onB).GET("/v1/tenant"));
    const responses = results.map((result) => result.response);

    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200, 429]);
    expect(responses.map(remainingOf)).toEqual(['"default";r=4', '"default";r=3', '"default";r=2', '"default";r=1', '"default";r=0', '"default";r=0']);
    for (const response of responses) {
      // Both policies that apply, as a structured-field List; RateLimit names the one closest to exhaustion.
      expect(response.headers.get("ratelimit-policy")).toBe(`"default";q=${PER_MINUTE};w=60, "tenant";q=${TENANT_PER_MINUTE};w=60`);
      expect(response.headers.get("ratelimit")).toMatch(/^"default";r=\d+;t=\d+$/);
      const t = Number(/;t=(\d+)$/.exec(response.headers.get("ratelimit")!)![1]);
      expect(t).toBeGreaterThan(0);
      expect(t).toBeLessThanOrEqual(60);
    }
    const refused = responses[5]!;
    expect(refused.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(refused.headers.get("ratelimit")).toBe(`"default";r=0;t=${refused.headers.get("retry-after")}`);
    expect(results[5]!.error).toMatchObject({ status: 429, code: "rate_limited", detail: expect.stringContaining('"default": 5 requests per 60 s') });
  });

  it("keep the count when an instance restarts", async () => {
    const owner = await signUp(a);
    await fresh();
    const before = b.client({ accessToken: owner.client.tokens.accessToken });
    for (let i = 0; i < 3; i++) expect((await before.GET("/v1/tenant")).response.status).toBe(200);

    await b.close();
    b = await instanceOf(a);
    const after = await b.client({ accessToken: owner.client.tokens.accessToken }).GET("/v1/tenant");
    expect(after.response.status).toBe(200);
    expect(remainingOf(after.response)).toBe('"default";r=1');
  });

  it("hold a tenant's users to one tenant quota, and leave other tenants alone", async () => {
    const owner = await signUp(a);
    const agent = await addMember(a, owner, "agent");
    const other = await signUp(a);
    await fresh();
    const agentOnB = b.client({ accessToken: agent.client.tokens.accessToken });

    // 4 + 4 requests from two users: neither reaches their own limit of 5, the tenant reaches its 8.
    for (let i = 0; i < 4; i++) expect((await owner.client.GET("/v1/tenant")).response.status).toBe(200);
    const agentResults = [];
    for (let i = 0; i < 5; i++) agentResults.push(await agentOnB.GET("/v1/tenant"));
    const agentResponses = agentResults.map((result) => result.response);
    expect(agentResponses.map((response) => response.status)).toEqual([200, 200, 200, 200, 429]);
    // The tenant's quota comes closer to exhaustion than the agent's own limit, so RateLimit names it.
    expect(agentResponses.map(remainingOf)).toEqual(['"tenant";r=3', '"tenant";r=2', '"tenant";r=1', '"tenant";r=0', '"tenant";r=0']);
    expect(agentResults[4]!.error).toMatchObject({ status: 429, detail: expect.stringContaining("your tenant's quota") });
    expect((await owner.client.GET("/v1/tenant")).response.status).toBe(429);

    const elsewhere = await other.client.GET("/v1/tenant");
    expect(elsewhere.response.status).toBe(200);
    expect(remainingOf(elsewhere.response)).toBe('"default";r=4');
  });

  it("let requests through when Redis stops, keep the sign-in limits per instance, and share again when it is back", async () => {
    const owner = await signUp(a);
    const tenantSlug = owner.tenant.slug;
    await redis.stop();

    // The default limit and the tenant quota fail open: more than either allows, all served, no fields.
    for (let i = 0; i < PER_MINUTE + TENANT_PER_MINUTE; i++) {
      const { response } = await owner.client.GET("/v1/tenant");
      expect(response.status).toBe(200);
      expect(response.headers.get("ratelimit")).toBeNull();
    }
    // An operator learns of it from the log: once, not once per request.
    const skipped = a.logs.filter((line) => line.level === "warn" && String(line.message).includes("rate limit skipped"));
    expect(skipped).toHaveLength(1);
    // Sign-in attempts and failed tokens are still limited, in each instance's memory.
    const logins: number[] = [];
    for (let i = 0; i < AUTH_PER_MINUTE + 1; i++) {
      const login = await a.client().POST("/v1/auth/login", { body: { tenantSlug, email: owner.admin.email, password: `${PASSWORD} not` } });
      logins.push(login.response.status);
    }
    expect(logins).toEqual([401, 401, 401, 429]);
    const tokens: number[] = [];
    for (let i = 0; i < AUTH_PER_MINUTE + 1; i++) tokens.push((await fetch(`${b.url}/v1/tickets`, { headers: { authorization: `Bearer nope-${i}` } })).status);
    expect(tokens).toEqual([401, 401, 401, 429]);

    await redis.start();
    await fresh();
    // Both instances reconnect on their own and count together again.
    await expect.poll(async () => remainingOf((await owner.client.GET("/v1/tenant")).response), { timeout: 10_000, interval: 200 }).toMatch(/^"default";r=\d$/);
    await fresh();
    await expect.poll(async () => remainingOf((await b.client({ accessToken: owner.client.tokens.accessToken }).GET("/v1/tenant")).response), { timeout: 10_000, interval: 200 }).toBeDefined();
    await fresh();
    expect(remainingOf((await owner.client.GET("/v1/tenant")).response)).toBe('"default";r=4');
    expect(remainingOf((await b.client({ accessToken: owner.client.tokens.accessToken }).GET("/v1/tenant")).response)).toBe('"default";r=3');
  });

  it("start without Redis, and share counts once it appears", async () => {
    await redis.stop();
    const late = await startServer(sharedConfig());
    try {
      const owner = await signUp(late);
      const { response } = await owner.client.GET("/v1/tenant");
      expect(response.status).toBe(200);
      expect(response.headers.get("ratelimit")).toBeNull();

      await redis.start();
      await expect.poll(async () => remainingOf((await owner.client.GET("/v1/tenant")).response), { timeout: 10_000, interval: 200 }).toMatch(/^"default";r=\d$/);
    } finally {
      await late.close();
    }
  });
});
