// Several API instances share one database: a revocation on one must reach the others' session
// caches at once (LISTEN/NOTIFY), not after the cache's TTL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDocketClient } from "../sdk/index.ts";
import { startOtherInstance, startServer, type OtherInstance, type TestServer } from "./support/server.ts";
import { PASSWORD, addMember, signUp } from "./support/fixtures.ts";

let first: TestServer;
let second: OtherInstance;
let secondUrl: string;

beforeAll(async () => {
  // A TTL far longer than the test: only the notification can explain a prompt 401.
  first = await startServer({ sessionCacheTtlSeconds: 60 });
  second = await startOtherInstance(first);
  secondUrl = second.url;
});
afterAll(async () => {
  await second.close();
  await first.close();
});

describe("session changes across instances", () => {
  it("reach another instance's session cache within moments", async () => {
    const owner = await signUp(first);
    const member = await addMember(first, owner, "agent");
    const onSecond = createDocketClient({ baseUrl: secondUrl, accessToken: member.client.tokens.accessToken });
    expect((await onSecond.GET("/v1/auth/me")).response.status).toBe(200); // now cached there

    await owner.client.DELETE("/v1/users/{userId}", { params: { path: { userId: member.user.id } } });
    await expect.poll(async () => (await onSecond.GET("/v1/auth/me")).response.status, { timeout: 3_000 }).toBe(401);

    // And a logout on the second instance ends the session on the first.
    const device = createDocketClient({ baseUrl: secondUrl });
    await device.POST("/v1/auth/login", { body: { tenantSlug: owner.tenant.slug, email: owner.admin.email, password: PASSWORD } });
    const onFirst = first.client({ accessToken: device.tokens.accessToken });
    expect((await onFirst.GET("/v1/auth/me")).response.status).toBe(200);
    await device.POST("/v1/auth/logout", { body: { refreshToken: device.tokens.refreshToken! } });
    await expect.poll(async () => (await onFirst.GET("/v1/auth/me")).response.status, { timeout: 3_000 }).toBe(401);
  });
});
