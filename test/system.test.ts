import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { PASSWORD, signUp } from "./support/fixtures.ts";
import { probe } from "./support/logger-probe.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

describe("probes", () => {
  it("reports liveness and readiness", async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { database: "ok", migrations: "ok" } });
  });

  it("is not ready while a migration is pending", async () => {
    const pending = await startServer();
    try {
      await pending.database.pool.query(`DELETE FROM "_prisma_migrations"`);
      const response = await fetch(`${pending.url}/readyz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ code: "not_ready", detail: "Migrations are pending." });
    } finally {
      await pending.close();
    }
  });
});

describe("logs", () => {
  it("write one JSON line per request with its request id, echoed in x-request-id", async () => {
    const response = await fetch(`${server.url}/healthz`, { headers: { "x-request-id": "probe-42" } });
    expect(response.headers.get("x-request-id")).toBe("probe-42");
    const line = server.logs.find((entry) => entry.requestId === "probe-42");
    expect(line).toMatchObject({ level: "info", message: "request", method: "GET", path: "/healthz", operationId: "getHealth", status: 200 });
    // A hostile id is replaced, not echoed.
    const hostile = await fetch(`${server.url}/healthz`, { headers: { "x-request-id": "<script>" } });
    expect(hostile.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("never contain passwords, tokens or Authorization headers", async () => {
    const owner = await signUp(server);
    await owner.client.GET("/v1/auth/me");
    await server.client().POST("/v1/auth/login", { body: { tenantSlug: owner.tenant.slug, email: owner.admin.email, password: "wrong password here" } });
    const written = JSON.stringify(server.logs);
    expect(written).not.toContain(PASSWORD);
    expect(written).not.toContain("wrong password here");
    expect(written).not.toContain(owner.client.tokens.accessToken!);
    expect(written).not.toContain(owner.client.tokens.refreshToken!);
  });

  it("redact secret-looking keys wherever they are nested", async () => {
    const { logger, lines } = probe();
    logger.info({ password: "hunter2hunter2", req: { headers: { authorization: "Bearer abc.def.ghi" } }, nested: [{ refreshToken: "drt_secret" }], email: "kept@x.test" }, "probe");
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ password: "[redacted]", req: { headers: { authorization: "[redacted]" } }, nested: [{ refreshToken: "[redacted]" }], email: "kept@x.test" });
  });

  it("leave out an absent secret-looking field instead of claiming it was redacted", async () => {
    const { logger, lines } = probe();
    logger.info({ apiKey: undefined, keyId: "0192f1a0-0000-7000-8000-000000000001" }, "probe");
    const line = JSON.parse(lines[0]!);
    expect(line).not.toHaveProperty("apiKey");
    expect(line.keyId).toBe("0192f1a0-0000-7000-8000-000000000001");
  });
});
