// Bad input gets a clear application/problem+json 4xx naming the problem; never a 500.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { signUp, type SignedUpTenant } from "./support/fixtures.ts";

let server: TestServer;
let owner: SignedUpTenant;
beforeAll(async () => {
  server = await startServer({ bodyLimitBytes: 64 * 1024 });
  owner = await signUp(server);
});
afterAll(async () => {
  await server.close();
});

async function raw(path: string, init: RequestInit & { auth?: boolean } = {}) {
  const headers = new Headers(init.headers);
  if (init.auth !== false) headers.set("authorization", `Bearer ${owner.client.tokens.accessToken}`);
  const response = await fetch(server.url + path, { ...init, headers });
  expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe("problem+json for bad input", () => {
  it("points at an unknown and a mistyped field with JSON pointers", async () => {
    const { status, body } = await raw("/v1/users", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "not-an-email", name: 42, password: "a long enough password", isAdmin: true }),
    });
    expect(status).toBe(400);
    expect(body).toMatchObject({ type: "https://docket.dev/problems/validation-failed", title: "Your request is not valid", status: 400, code: "validation_failed", instance: "/v1/users" });
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { pointer: "/isAdmin", detail: "is not a known property" },
        { pointer: "/name", detail: "must be string" },
        { pointer: "/email", detail: 'must match format "email"' },
      ]),
    );
    expect(body.requestId).toEqual(expect.any(String));
  });

  it("names missing required fields, and nested ones", async () => {
    const { status, body } = await raw("/v1/platform/tenants", {
      method: "POST",
      auth: false,
      headers: { "content-type": "application/json", authorization: `Bearer ${server.config.platformOperatorToken}` },
      body: JSON.stringify({ name: "x", slug: "Not A Slug!", admin: { name: "y", email: "y@y.test" } }),
    });
    expect(status).toBe(400);
    expect(body.errors).toEqual(expect.arrayContaining([{ pointer: "/admin/password", detail: "is required" }, expect.objectContaining({ pointer: "/slug" })]));
  });

  it("does not coerce types in bodies", async () => {
    const { status, body } = await raw("/v1/tenant", { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: 12345 }) });
    expect(status).toBe(400);
    expect(body.errors).toEqual([{ pointer: "/name", detail: "must be string" }]);
  });

  it("names bad query and path parameters", async () => {
    const query = await raw("/v1/users?limit=0&active=maybe");
    expect(query.status).toBe(400);
    expect(query.body.errors).toEqual(expect.arrayContaining([{ parameter: "limit", detail: "must be >= 1" }, { parameter: "active", detail: "must be boolean" }]));
    const path = await raw("/v1/users/12345");
    expect(path.body.errors).toEqual([{ parameter: "userId", detail: 'must match format "uuid"' }]);
  });

  it("rejects malformed JSON, an empty body, a wrong content type and an oversized body", async () => {
    const patch = (body: string | undefined, contentType?: string) =>
      raw("/v1/tenant", { method: "PATCH", headers: contentType ? { "content-type": contentType } : {}, body });
    expect(await patch('{"name": "unterminated', "application/json")).toMatchObject({ status: 400, body: { code: "malformed_request" } });
    expect(await patch("", "application/json")).toMatchObject({ status: 400, body: { code: "malformed_request" } });
    expect(await patch(undefined)).toMatchObject({ status: 400, body: { code: "malformed_request", detail: "updateTenant needs a body of type application/json." } });
    expect(await patch("name=x", "application/x-www-form-urlencoded")).toMatchObject({ status: 415, body: { code: "unsupported_media_type" } });
    expect(await patch("hello", "text/plain")).toMatchObject({ status: 415 });
    expect(await patch(JSON.stringify({ name: "x".repeat(70 * 1024) }), "application/json")).toMatchObject({ status: 413, body: { code: "payload_too_large" } });
  });

  it("rejects a body sent to an operation that takes none", async () => {
    const { status, body } = await raw(`/v1/users/${owner.admin.id}`, { method: "DELETE", headers: { "content-type": "application/json" }, body: "{}" });
    expect(status).toBe(400);
    expect(body.code).toBe("unexpected_body");
  });

  it("answers unknown routes and methods with a 404 problem", async () => {
    expect(await raw("/v1/nothing-here")).toMatchObject({ status: 404, body: { code: "route_not_found", detail: "No route for GET /v1/nothing-here. The operations are listed at /docs." } });
    expect((await raw("/v1/tenant", { method: "PUT" })).status).toBe(404);
  });
});

describe("internal errors", () => {
  it("hide the internals, carry the request id, and are logged with the cause", async () => {
    // Break the database underneath the server: the next query fails for real.
    const broken = await startServer();
    try {
      const tenant = await signUp(broken);
      await broken.asOwner(`ALTER TABLE "User" RENAME TO "UserGone"`);
      const response = await fetch(`${broken.url}/v1/users`, { headers: { authorization: `Bearer ${tenant.client.tokens.accessToken}`, "x-request-id": "trace-me-123" } });
      expect(response.status).toBe(500);
      expect(response.headers.get("x-request-id")).toBe("trace-me-123");
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toEqual({
        type: "https://docket.dev/problems/internal-error",
        title: "Internal server error",
        status: 500,
        code: "internal_error",
        detail: "Something went wrong on our side. Quote the requestId when you report it.",
        instance: "/v1/users",
        requestId: "trace-me-123",
      });
      const logged = broken.logs.find((line) => line.requestId === "trace-me-123" && line.level === "error");
      expect(JSON.stringify(logged)).toMatch(/UserGone|User/);
    } finally {
      await broken.close();
    }
  });
});

describe("tampered cursors and look-alike ids", () => {
  const cursorOf = (parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString("base64url");

  it("answer 400 naming the parameter on every paginated list, never a 500", async () => {
    const poisoned = [
      cursorOf(["createdAt-", "not a date", "00000000-0000-4000-8000-000000000000"]),
      cursorOf(["createdAt-", "2026-01-01T00:00:00Z", "not-a-uuid"]),
      cursorOf(["priority-", "'; DROP TABLE", 3]),
      cursorOf(["not a date", "x"]),
      cursorOf(["12a", "x"]),
      cursorOf([1, 2, 3, 4]),
    ];
    const ticket = (await owner.client.POST("/v1/tickets", { body: { title: "cursor target" } })).data!;
    const lists = ["/v1/tickets", "/v1/tickets?sort=-priority", "/v1/users", "/v1/events", `/v1/tickets/${ticket.id}/comments`, `/v1/tickets/${ticket.id}/activity`, `/v1/tickets/${ticket.id}/attachments`];
    for (const list of lists) {
      for (const cursor of poisoned) {
        const separator = list.includes("?") ? "&" : "?";
        const { status, body } = await raw(`${list}${separator}cursor=${cursor}`);
        expect(status, `${list} ${cursor}`).toBe(400);
        expect(body.errors[0].parameter).toBe("cursor");
      }
    }
  });

  it("answer 400 for ids that only look like UUIDs", async () => {
    const dashes = "-".repeat(36);
    expect((await raw(`/v1/tickets?requesterId=${dashes}`)).status).toBe(400);
    expect((await raw(`/v1/tickets?assigneeId=${dashes}`)).status).toBe(400);
  });
});

describe("a saturated database", () => {
  it("answers 503 with Retry-After instead of a 500", async () => {
    const busy = await startServer();
    try {
      const tenant = await signUp(busy);
      // Hold every pooled connection, so nothing can start a transaction within Prisma's wait.
      const held = await Promise.all(Array.from({ length: 5 }, () => busy.database.pool.connect()));
      try {
        const response = await fetch(`${busy.url}/v1/tickets`, {
          method: "POST",
          headers: { authorization: `Bearer ${tenant.client.tokens.accessToken}`, "content-type": "application/json" },
          body: JSON.stringify({ title: "while busy" }),
        });
        expect(response.status).toBe(503);
        expect(response.headers.get("retry-after")).toBe("1");
        expect(await response.json()).toMatchObject({ code: "busy", status: 503 });
      } finally {
        for (const client of held) client.release();
      }
      expect((await tenant.client.POST("/v1/tickets", { body: { title: "after" } })).response.status).toBe(201);
    } finally {
      await busy.close();
    }
  });
});
