// One strict edge: input PostgreSQL cannot store or compare, and requests malformed below the
// routing layer, are 4xx application/problem+json, never a 500 or Fastify's own JSON. Raw
// fetch and sockets send what the SDK would refuse to build.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { signUp, type SignedUpTenant } from "./support/fixtures.ts";
import { openTicket } from "./support/tickets.ts";

let server: TestServer;
let owner: SignedUpTenant;
let ticketId: string;
beforeAll(async () => {
  server = await startServer();
  owner = await signUp(server);
  ticketId = (await openTicket(owner.client)).id;
});
afterAll(async () => {
  await server.close();
});

interface Answer {
  status: number;
  contentType: string;
  body: Record<string, any>;
}

async function send(path: string, init: RequestInit & { auth?: string | false } = {}): Promise<Answer> {
  const headers = new Headers(init.headers);
  if (init.auth !== false) headers.set("authorization", `Bearer ${init.auth ?? owner.client.tokens.accessToken}`);
  if (typeof init.body === "string") headers.set("content-type", headers.get("content-type") ?? "application/json");
  const response = await fetch(server.url + path, { ...init, headers });
  return { status: response.status, contentType: response.headers.get("content-type") ?? "", body: (await response.json()) as Record<string, any> };
}

/** Writes the request bytes exactly as given (no URL normalisation) and parses the answer. */
function sendRaw(requestHead: string): Promise<Answer & { headers: string }> {
  return new Promise((resolve, reject) => {
    const { port } = new URL(server.url);
    const socket = net.connect(Number(port), "127.0.0.1", () => socket.write(requestHead));
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      received += chunk;
      const [head, body = ""] = received.split("\r\n\r\n", 2) as [string, string?];
      const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? NaN);
      if (Buffer.byteLength(body) >= length) {
        socket.destroy();
        const status = Number(head.split(" ")[1]);
        resolve({ status, headers: head, contentType: /content-type: *([^\r\n]+)/i.exec(head)?.[1] ?? "", body: JSON.parse(body) as Record<string, any> });
      }
    });
    socket.on("error", reject);
  });
}

function expectProblem(answer: Answer, status: number): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.contentType).toMatch(/^application\/problem\+json/);
  expect(answer.body.status).toBe(status);
}

const cursorOf = (parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString("base64url");
const SOME_ID = "00000000-0000-4000-8000-000000000000";

describe("text PostgreSQL cannot store", () => {
  it("refuses a NUL byte or a lone surrogate in any body string, also before authentication", async () => {
    const login = await send("/v1/auth/login", { method: "POST", auth: false, body: '{"tenantSlug":"a\\u0000","email":"x","password":"y"}' });
    expectProblem(login, 400);
    expect(login.body.errors).toEqual([{ pointer: "/tenantSlug", detail: "must not contain NUL characters or unpaired UTF-16 surrogates" }]);
    const signup = await send("/v1/auth/signup", {
      method: "POST",
      auth: false,
      body: '{"tenantName":"\\ud800","tenantSlug":"lone","name":"n","email":"n@lone.test","password":"correct horse battery staple"}',
    });
    expectProblem(signup, 400);
    expect(signup.body.errors[0].pointer).toBe("/tenantName");
    const nested = await send("/v1/tickets", { method: "POST", body: '{"title":"x","metadata":{"deep":{"k\\u0000":1}}}' });
    expectProblem(nested, 400);
    expect(nested.body.errors[0].pointer).toBe("/metadata/deep/k\u0000");
  });

  it("refuses a NUL byte in query and path values", async () => {
    const query = await send("/v1/tickets?tag=a%00b");
    expectProblem(query, 400);
    expect(query.body.errors).toEqual([{ parameter: "tag", detail: "must not contain NUL characters or unpaired UTF-16 surrogates" }]);
    expectProblem(await send("/v1/tickets?q=a%00b"), 400);
    expectProblem(await send(`/v1/tickets/${ticketId}%00`), 400);
  });
});

describe("numbers", () => {
  it("must be finite: a JSON literal that overflows to Infinity is refused", async () => {
    const answer = await send("/v1/tenant", { method: "PATCH", body: '{"settings":{"attachmentMaxBytes":1e400}}' });
    expectProblem(answer, 400);
    expect(answer.body.errors).toEqual([{ pointer: "/settings/attachmentMaxBytes", detail: "must be a finite number" }]);
  });
});

describe("many errors", () => {
  it("name the first 20 and count the rest, however many items are wrong", async () => {
    const ticketIds = Array.from({ length: 5_000 }, (_, index) => `not-a-uuid-${index}`);
    const answer = await send("/v1/tickets/bulk", { method: "POST", body: JSON.stringify({ ticketIds, changes: { status: "solved" } }) });
    expectProblem(answer, 400);
    expect(answer.body.errors).toHaveLength(20);
    expect(answer.body.detail).toMatch(/; and \d+ more$/);
  });
});

describe("ids", () => {
  it("take only the canonical 8-4-4-4-12 form, in paths, queries and bodies", async () => {
    const path = await send(`/v1/tickets/urn:uuid:${SOME_ID}`);
    expectProblem(path, 400);
    expect(path.body.errors).toEqual([{ parameter: "ticketId", detail: 'must match format "uuid"' }]);
    expectProblem(await send(`/v1/tickets/{${SOME_ID}}`), 400);
    expectProblem(await send(`/v1/tickets/${SOME_ID.replaceAll("-", "")}`), 400);
    expectProblem(await send(`/v1/events?ticketId=urn:uuid:${SOME_ID}`), 400);
    expectProblem(await send("/v1/tickets", { method: "POST", body: JSON.stringify({ title: "x", assigneeId: `urn:uuid:${SOME_ID}` }) }), 400);
    expect((await owner.client.GET("/v1/tickets/{ticketId}", { params: { path: { ticketId: ticketId.toUpperCase() } } })).response.status).toBe(200);
  });
});

describe("date-times", () => {
  const outside = ["0000-01-01T00:00:00Z", "0001-01-01T00:30:00+01:00", "2016-12-31T23:59:60Z", "9999-12-31T23:59:59-05:00", "2021-02-30T00:00:00Z", "2020-01-01T00:00:00+23:00"];

  it("are refused in queries and bodies unless PostgreSQL and Date both hold them", async () => {
    for (const value of outside) {
      const encoded = encodeURIComponent(value);
      expectProblem(await send(`/v1/tickets?createdAfter=${encoded}`), 400);
      expectProblem(await send(`/v1/events?since=${encoded}`), 400);
      const body = await send("/v1/tickets", { method: "POST", body: JSON.stringify({ title: "x", dueAt: value }) });
      expectProblem(body, 400);
      expect(body.body.errors).toEqual([{ pointer: "/dueAt", detail: 'must match format "date-time"' }]);
    }
  });

  it("are taken at the ends of the range and with offsets", async () => {
    for (const dueAt of ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z", "2030-06-01T12:00:00+05:30", "2030-06-01 12:00:00Z"]) {
      const created = await owner.client.POST("/v1/tickets", { body: { title: "due", dueAt } });
      expect(created.response.status, dueAt).toBe(201);
      expect(Date.parse(created.data!.dueAt!)).toBe(Date.parse(dueAt));
    }
    for (const createdAfter of ["0001-01-01T00:00:00Z", "2030-01-01t00:00:00z", "2030-01-01 00:00:00.123456789+15:59"]) {
      expect((await send(`/v1/tickets?createdAfter=${encodeURIComponent(createdAfter)}`)).status, createdAfter).toBe(200);
      expect((await send(`/v1/events?since=${encodeURIComponent(createdAfter)}`)).status, createdAfter).toBe(200);
    }
  });
});

describe("tampered cursors", () => {
  it("holding dates or numbers no column can hold are a 400 on every list", async () => {
    const comment = await owner.client.POST("/v1/tickets/{ticketId}/comments", { params: { path: { ticketId } }, body: { body: "hi" } });
    expect(comment.response.status).toBe(201);
    const ancient = cursorOf(["-200000-01-01T00:00:00.000Z", SOME_ID]);
    for (const list of ["/v1/users", `/v1/tickets/${ticketId}/comments`, `/v1/tickets/${ticketId}/attachments`]) {
      expectProblem(await send(`${list}?cursor=${ancient}`), 400);
    }
    expectProblem(await send(`/v1/platform/tenants?cursor=${ancient}`, { auth: server.config.platformOperatorToken }), 400);
    for (const cursor of [cursorOf(["99999999999999999999", "1"]), cursorOf(["18446744073709551615", "1"]), cursorOf(["1", "9223372036854775808"])]) {
      const events = await send(`/v1/events?cursor=${cursor}`);
      expectProblem(events, 400);
      expect(events.body.errors[0].parameter).toBe("cursor");
    }
    expectProblem(await send(`/v1/tickets/${ticketId}/activity?cursor=${cursorOf(["99999999999999999999"])}`), 400);
    expectProblem(await send(`/v1/tickets?sort=number&cursor=${cursorOf(["number+", 1e300])}`), 400);
    expectProblem(await send(`/v1/tickets?sort=-priority&cursor=${cursorOf(["priority-", "high", 1e300])}`), 400);
    expectProblem(await send(`/v1/tickets?q=printer&cursor=${cursorOf(["relevance-", 1e300, SOME_ID])}`), 400);
    expectProblem(await send(`/v1/tickets?cursor=${cursorOf(["createdAt-", "0000-01-01T00:00:00Z", SOME_ID])}`), 400);
    expectProblem(await send(`/v1/tickets?cursor=${cursorOf(["createdAt-", "1", SOME_ID])}`), 400);
  });
});

describe("deep and large bodies", () => {
  it("refuse nesting deeper than 32 levels before anything reads the body", async () => {
    const deep = `{"title":"x","metadata":${'{"a":'.repeat(3900)}1${"}".repeat(3900)}}`;
    const answer = await send("/v1/tickets", { method: "POST", body: deep });
    expectProblem(answer, 400);
    expect(answer.body.detail).toMatch(/deeper than 32 levels/);
    const deepArray = await send("/v1/tickets", { method: "POST", body: `{"title":"x","metadata":{"a":${"[".repeat(50_000)}${"]".repeat(50_000)}}}` });
    expectProblem(deepArray, 400);
    // Brackets inside strings are text, not nesting.
    const brackets = await owner.client.POST("/v1/tickets", { body: { title: "[".repeat(100), metadata: { a: { b: "{".repeat(1000) } } } });
    expect(brackets.response.status).toBe(201);
  });
});

describe("headers", () => {
  it("are held to the contract's maxLength whatever their case", async () => {
    const answer = await send("/v1/tickets", { method: "POST", headers: { "Idempotency-Key": "k".repeat(256) }, body: JSON.stringify({ title: "x" }) });
    expectProblem(answer, 400);
    expect(answer.body.errors).toEqual([{ header: "idempotency-key", detail: "must NOT have more than 255 characters" }]);
    expect((await send("/v1/tickets", { method: "POST", headers: { "Idempotency-Key": "k".repeat(255) }, body: JSON.stringify({ title: "x" }) })).status).toBe(201);
  });
});

describe("errors before a route runs", () => {
  const head = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${owner.client.tokens.accessToken}\r\n${extra}Connection: close\r\n\r\n`;

  it("a path with dot segments is a 404, not a file outside the docs", async () => {
    expectProblem(await sendRaw(head("/docs/static/../../package.json")), 404);
    expectProblem(await sendRaw(head("/docs/static/%2e%2e/%2e%2e/package.json")), 404);
    expectProblem(await sendRaw(head("/v1/tickets/../users")), 404);
  });

  it("bad percent-encoding is a 400 problem", async () => {
    const answer = await sendRaw(head("/v1/tickets/%E0%A4%A"));
    expectProblem(answer, 400);
    expect(answer.body).toMatchObject({ code: "malformed_request", instance: "/v1/tickets/%E0%A4%A" });
  });

  it("an over-long path id is a 414 problem", async () => {
    const answer = await sendRaw(head(`/v1/tickets/${"a".repeat(200)}`));
    expectProblem(answer, 414);
    expect(answer.body.code).toBe("uri_too_long");
  });

  it("a URL or headers beyond the server's limit are a 431 problem written on the socket", async () => {
    const answer = await sendRaw(head(`/v1/tickets?tag=${"a".repeat(20_000)}`));
    expectProblem(answer, 431);
    expect(answer.body).toMatchObject({ code: "request_header_fields_too_large", requestId: expect.any(String) });
    expectProblem(await sendRaw(head("/v1/tickets", `X-Padding: ${"p".repeat(20_000)}\r\n`)), 431);
  });

  it("a request that is not HTTP is a 400 problem", async () => {
    expectProblem(await sendRaw("GET /v1/tickets HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Bad: a\u0000b\r\n\r\n"), 400);
    expectProblem(await sendRaw("NOT HTTP AT ALL\r\n\r\n"), 400);
  });

  it("leave the server healthy", async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe("a value PostgreSQL refuses that still gets past the validator", () => {
  it("is a 400 problem, not a 500", async () => {
    // Narrow a column under the running server: the contract allows longer names than it now holds.
    const narrowed = await startServer();
    try {
      const tenant = await signUp(narrowed);
      await narrowed.asOwner(`ALTER TABLE "Tenant" ALTER COLUMN name TYPE varchar(20)`);
      const response = await fetch(`${narrowed.url}/v1/tenant`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${tenant.client.tokens.accessToken}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "A name much longer than twenty characters" }),
      });
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(await response.json()).toMatchObject({ code: "invalid_value", status: 400 });
    } finally {
      await narrowed.close();
    }
  });
});
