// What a browser needs from the API: CORS for the configured origins only (preflight on every
// route, the headers a page's script must read), security headers on every response, and no
// caching of responses that carry tokens.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { signUp, uniqueSlug, PASSWORD } from "./support/fixtures.ts";

const APP_ORIGIN = "http://localhost:5173";
let server: TestServer;
let closed: TestServer;

beforeAll(async () => {
  server = await startServer({ corsOrigins: [APP_ORIGIN, "https://app.example.com"] });
  closed = await startServer();
});
afterAll(async () => {
  await server.close();
  await closed.close();
});

function preflight(base: string, path: string, origin: string, method = "PATCH", headers = "authorization, content-type, if-match") {
  return fetch(`${base}${path}`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": method, "access-control-request-headers": headers },
  });
}

describe("CORS", () => {
  it("answers a preflight from an allowed origin on any route, before authentication", async () => {
    for (const path of ["/v1/tickets/0192f1a0-0000-7000-8000-000000000001", "/v1/auth/login", "/v1/tickets/0192f1a0-0000-7000-8000-000000000001/attachments/files"]) {
      const response = await preflight(server.url, path, APP_ORIGIN);
      expect(response.status, path).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
      expect(response.headers.get("access-control-allow-methods")).toContain("PATCH");
      const allowed = response.headers.get("access-control-allow-headers")!.toLowerCase().split(/,\s*/);
      expect(allowed).toEqual(expect.arrayContaining(["authorization", "content-type", "idempotency-key", "if-match", "if-none-match", "x-request-id"]));
      expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    }
  });

  it("lets a page read ETag, rate-limit headers, Idempotent-Replayed and the request id", async () => {
    const owner = await signUp(server);
    const created = await fetch(`${server.url}/v1/tickets`, {
      method: "POST",
      headers: { origin: APP_ORIGIN, authorization: `Bearer ${owner.client.tokens.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify({ title: "Printer on fire" }),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    const exposed = created.headers.get("access-control-expose-headers")!.toLowerCase().split(/,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(["etag", "ratelimit-policy", "ratelimit", "retry-after", "idempotent-replayed", "x-request-id"]));
    expect(created.headers.get("etag")).toBeTruthy();
    expect(created.headers.get("ratelimit")).toMatch(/^"default";r=\d+;t=\d+$/);
  });

  it("keeps the CORS headers on errors, so a page can read why it failed", async () => {
    const response = await fetch(`${server.url}/v1/auth/me`, { headers: { origin: APP_ORIGIN } });
    expect(response.status).toBe(401);
    expect(response.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
  });

  it("grants nothing to an origin that is not listed", async () => {
    const response = await preflight(server.url, "/v1/tickets", "https://evil.example.net", "POST");
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    const read = await fetch(`${server.url}/v1/auth/me`, { headers: { origin: "https://evil.example.net" } });
    expect(read.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("grants nothing when CORS_ORIGINS is empty", async () => {
    const response = await preflight(closed.url, "/v1/tickets", APP_ORIGIN, "POST");
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(response.status).toBe(404);
  });
});

describe("security headers", () => {
  it("sends nosniff on every response: data, errors, unknown routes, the docs", async () => {
    for (const path of ["/healthz", "/v1/auth/me", "/v1/nothing-here", "/docs/", "/openapi.yaml"]) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.headers.get("x-content-type-options"), path).toBe("nosniff");
    }
  });

  it("keeps Swagger UI working under the Content-Security-Policy: only its own scripts, every asset served", async () => {
    const page = await fetch(`${server.url}/docs/`);
    const csp = page.headers.get("content-security-policy")!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("upgrade-insecure-requests"); // would send /docs to https on plain http hosts
    const html = await page.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>\s*\S/); // no inline script for the CSP to block
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(assets.length).toBeGreaterThan(3);
    for (const asset of assets) expect((await fetch(new URL(asset, `${server.url}/docs/`))).status, asset).toBe(200);
  });

  it("forbids caching of responses that carry tokens, and only those", async () => {
    const owner = await signUp(server);
    const signup = await fetch(`${server.url}/v1/auth/signup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tenantName: "Cache Co", tenantSlug: uniqueSlug("cache"), name: "Ada", email: "ada@example.com", password: PASSWORD }),
    });
    expect(signup.status).toBe(201);
    expect(signup.headers.get("cache-control")).toBe("no-store");
    const login = await fetch(`${server.url}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tenantSlug: owner.tenant.slug, email: owner.admin.email, password: "wrong password, surely" }),
    });
    expect(login.status).toBe(401);
    expect(login.headers.get("cache-control")).toBe("no-store");
    const refresh = await fetch(`${server.url}/v1/auth/refresh`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refreshToken: owner.client.tokens.refreshToken }),
    });
    expect(refresh.status).toBe(200);
    expect(refresh.headers.get("cache-control")).toBe("no-store");
    const me = await fetch(`${server.url}/v1/auth/me`, { headers: { authorization: `Bearer ${((await refresh.json()) as { accessToken: string }).accessToken}` } });
    expect(me.status).toBe(200);
    expect(me.headers.get("cache-control")).toBeNull();
  });
});

describe("start-up", () => {
  it("logs no ContentTypeParser warnings", () => {
    const warnings = server.logs.filter((line) => String(line.message ?? line.msg ?? "").includes("ContentTypeParser"));
    expect(warnings).toEqual([]);
  });
});
