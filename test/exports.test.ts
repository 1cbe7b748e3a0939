// Exports through the real server: GET /v1/tickets/export and /v1/events/export as a user's
// spreadsheet or program reads them (CSV parsed back by csv-parse, JSON lines by JSON.parse), with
// the list's filters and role rules, and a large export from a separate server process whose memory
// is read from outside while it streams.
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { addMember, helpdesk, signUp, type Member, type SignedUpTenant } from "./support/fixtures.ts";
import { openTicket, ticketPath } from "./support/tickets.ts";
import { eventually } from "./support/webhook-receiver.ts";
import { startServerProcess, type ServerProcess } from "./support/server-process.ts";
import { seedTickets } from "../bench/seed.ts";
import { residentMiB, startScriptFlags } from "../bench/processes.ts";
import type { DocketClient, Schemas } from "../sdk/index.ts";

const BIG = 30_000;

let server: TestServer;
let acme: SignedUpTenant;
let agent: Member;
let customer: Member;
/** A tenant seeded with BIG tickets in SQL. */
let big: SignedUpTenant;

beforeAll(async () => {
  server = await startServer();
  ({ owner: acme, agent, customer } = await helpdesk(server));
  big = await signUp(server);
  const owner = new pg.Client({ connectionString: server.databaseUrl });
  await owner.connect();
  try {
    await seedTickets(owner, { tenantId: big.tenant.id, requesterId: big.admin.id, count: BIG, batchSize: 10_000 });
  } finally {
    await owner.end();
  }
}, 180_000);
afterAll(async () => {
  await server.close();
});

type Query = Record<string, string | string[] | boolean>;

function exportUrl(what: "tickets" | "events", query: Query): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) for (const one of [value].flat()) search.append(name, String(one));
  return `${server.url}/v1/${what}/export?${search}`;
}

async function download(client: DocketClient, what: "tickets" | "events", query: Query = {}): Promise<Response> {
  return fetch(exportUrl(what, query), { headers: { authorization: `Bearer ${client.tokens.accessToken}` } });
}

async function csvOf(client: DocketClient, what: "tickets" | "events", query: Query = {}): Promise<Record<string, string>[]> {
  const response = await download(client, what, { ...query, format: "csv" });
  expect(response.status, await response.clone().text()).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
  expect(response.headers.get("content-disposition")).toMatch(new RegExp(`^attachment; filename="${what}-\\d{4}-\\d{2}-\\d{2}\\.csv"$`));
  return parse(await response.text(), { columns: true }) as Record<string, string>[];
}

async function linesOf<T>(client: DocketClient, what: "tickets" | "events", query: Query = {}): Promise<T[]> {
  const response = await download(client, what, { ...query, format: "jsonl" });
  expect(response.status, await response.clone().text()).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/x-ndjson");
  const text = await response.text();
  return text.split("\n").filter(Boolean).map((line) => JSON.parse(line) as T);
}

describe("ticket export", () => {
  it("quotes what CSV must quote and neutralises formulas, and the JSON lines are the API's tickets", async () => {
    const tenant = await signUp(server);
    const titles = ['Comma, "quotes" and\na newline', "=HYPERLINK(\"http://evil.test\",\"click\")", "+1 555 0100", "-2+3", "@SUM(A1:A2)", "Ünïcode ✓ 日本語", "＝1＋1"];
    for (const title of titles) await openTicket(tenant.client, { title, description: "line one\r\nline two", tags: ["b", "a"], metadata: { crm: "=1+1" } });
    const rows = await csvOf(tenant.client, "tickets", { sort: "number" });
    expect(rows.map((row) => row.title)).toEqual(['Comma, "quotes" and\na newline', "'=HYPERLINK(\"http://evil.test\",\"click\")", "'+1 555 0100", "'-2+3", "'@SUM(A1:A2)", "Ünïcode ✓ 日本語", "'＝1＋1"]);
    expect(rows[0]!.description).toBe("line one\r\nline two");
    expect(rows[0]!.tags).toBe("b,a");
    expect(JSON.parse(rows[0]!.metadata!)).toEqual({ crm: "=1+1" });
    expect(rows.map((row) => Number(row.number))).toEqual([1, 2, 3, 4, 5, 6, 7]);

    const { data: listed } = await tenant.client.GET("/v1/tickets", { params: { query: { sort: "number", limit: 100 } } });
    // PostgreSQL writes the file; byte for byte it is what csv-stringify writes for the same
    // tickets (metadata as PostgreSQL prints JSON).
    const cells = (ticket: Schemas["Ticket"]) => [
      ticket.id, ticket.number, ticket.title, ticket.description, ticket.status, ticket.priority, ticket.type, ticket.channel, ticket.requesterId, ticket.assigneeId,
      ticket.tags.join(","), ticket.dueAt, ticket.createdAt, ticket.updatedAt, ticket.firstResponseAt, ticket.solvedAt, ticket.closedAt, ticket.deletedAt, '{"crm": "=1+1"}',
    ];
    const header = "id,number,title,description,status,priority,type,channel,requesterId,assigneeId,tags,dueAt,createdAt,updatedAt,firstResponseAt,solvedAt,closedAt,deletedAt,metadata".split(",");
    const file = await (await download(tenant.client, "tickets", { sort: "number" })).text();
    expect(file).toBe(stringify([header, ...listed!.data.map(cells)], { escape_formulas: true }));
    const lines = await linesOf<Schemas["Ticket"]>(tenant.client, "tickets", { sort: "number" });
    // The list adds the reader's unread count and, for staff, the SLA clocks computed at that moment;
    // an export is the stored Ticket.
    expect(lines).toEqual(listed!.data.map(({ unreadCount: _unread, sla: _sla, nextBreachAt: _next, ...ticket }) => ticket));
  });

  it("writes the header row when nothing matches", async () => {
    const response = await download(acme.client, "tickets", { tag: "nothing-has-this" });
    expect(await response.text()).toBe("id,number,title,description,status,priority,type,channel,requesterId,assigneeId,tags,dueAt,createdAt,updatedAt,firstResponseAt,solvedAt,closedAt,deletedAt,metadata\n");
    expect(await linesOf(acme.client, "tickets", { tag: "nothing-has-this" })).toEqual([]);
  });

  it("honours the list's filters, search and sort, and leaves deleted tickets out as the list does", async () => {
    const tenant = await signUp(server);
    const helper = await addMember(server, tenant, "agent");
    const t1 = await openTicket(tenant.client, { title: "Invoice missing", priority: "urgent", tags: ["billing"], assigneeId: helper.user.id });
    const t2 = await openTicket(tenant.client, { title: "Cannot log in", priority: "low", status: "pending" });
    const t3 = await openTicket(tenant.client, { title: "Invoice twice", priority: "high", tags: ["billing"] });
    const gone = await openTicket(tenant.client, { title: "Invoice spam" });
    expect((await tenant.client.DELETE("/v1/tickets/{ticketId}", ticketPath(gone.id))).response.status).toBe(204);
    const numbers = async (query: Query) => (await csvOf(helper.client, "tickets", query)).map((row) => Number(row.number));
    expect(await numbers({})).toEqual([t3.number, t2.number, t1.number]);
    expect(await numbers({ tag: "billing", sort: "createdAt" })).toEqual([t1.number, t3.number]);
    expect(await numbers({ status: "pending" })).toEqual([t2.number]);
    expect(await numbers({ priority: ["urgent", "high"], sort: "-priority" })).toEqual([t1.number, t3.number]);
    expect(await numbers({ assigneeId: "me" })).toEqual([t1.number]);
    expect(await numbers({ q: "invoice" })).toEqual([t3.number, t1.number]);
    expect(await numbers({ createdAfter: t2.createdAt, createdBefore: t3.createdAt })).toEqual([t2.number]);
    // Deleted tickets: only an admin, and only when asking for them.
    const deleted = await csvOf(tenant.client, "tickets", { deleted: true });
    expect(deleted.map((row) => Number(row.number))).toEqual([gone.number]);
    expect(deleted[0]!.deletedAt).not.toBe("");
    const refused = await download(helper.client, "tickets", { deleted: true });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { detail: string }).detail).toBe("Only admins list deleted tickets.");
  });

  it("gives a user only the tickets they requested; agents and admins the tenant's", async () => {
    const own = await openTicket(customer.client, { title: "My own" });
    await openTicket(agent.client, { title: "Someone else's" });
    const mine = await csvOf(customer.client, "tickets");
    expect(mine.map((row) => row.id)).toEqual([own.id]);
    expect(mine.every((row) => row.requesterId === customer.user.id)).toBe(true);
    const all = await csvOf(agent.client, "tickets");
    expect(all.map((row) => row.id)).toContain(own.id);
    expect(all.length).toBeGreaterThanOrEqual(2);
    // Another tenant's tickets never appear, and a user's requesterId filter cannot widen their view.
    expect((await csvOf(customer.client, "tickets", { requesterId: agent.user.id })).length).toBe(0);
    expect((await csvOf(big.client, "tickets", { tag: "nothing-has-this" })).length).toBe(0);
  });

  it("refuses a bad filter before sending anything", async () => {
    const response = await download(acme.client, "tickets", { format: "xlsx" });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect((await download(acme.client, "tickets", { status: "lost" })).status).toBe(400);
    expect((await fetch(exportUrl("tickets", {}))).status).toBe(401);
  });

  it(`streams all ${BIG.toLocaleString("en")} tickets of a tenant, every one once, as CSV and as JSON lines`, { timeout: 120_000 }, async () => {
    const rows = await csvOf(big.client, "tickets", { sort: "number" });
    expect(rows.length).toBe(BIG - Number((await server.asOwner(`SELECT count(*) FROM "Ticket" WHERE "tenantId" = '${big.tenant.id}' AND "deletedAt" IS NOT NULL`)).rows[0].count));
    const numbers = rows.map((row) => Number(row.number));
    expect(new Set(numbers).size).toBe(rows.length);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    const lines = await linesOf<Schemas["Ticket"]>(big.client, "tickets", { sort: "number" });
    expect(lines.map((ticket) => ticket.number)).toEqual(numbers);
  });
});

describe("exports and the server's connections", () => {
  /** Starts an export and reads its first chunk, leaving the rest unread. */
  async function started(client: DocketClient): Promise<{ response: Response; abort: () => void }> {
    const controller = new AbortController();
    const response = await fetch(exportUrl("tickets", { format: "jsonl" }), { headers: { authorization: `Bearer ${client.tokens.accessToken}` }, signal: controller.signal });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    await reader.read();
    return { response, abort: () => controller.abort() };
  }

  it("runs two exports of a tenant at once, refuses a third with 429 and Retry-After, and frees the slots and connections of clients that went away", { timeout: 60_000 }, async () => {
    const first = await started(big.client);
    const second = await started(big.client);
    const third = await download(big.client, "tickets");
    expect(third.status).toBe(429);
    expect(third.headers.get("retry-after")).toBe("10");
    expect(((await third.json()) as { code: string }).code).toBe("export_limit");
    // Another tenant is not held up by this one's exports.
    expect((await download(acme.client, "tickets")).status).toBe(200);
    first.abort();
    second.abort();
    // More exports abandoned than the pool has connections: none is kept.
    for (let i = 0; i < server.config.database.poolSize + 1; i++) {
      const again = await eventually(async () => started(big.client));
      again.abort();
    }
    await eventually(async () => {
      expect(server.database.pool.totalCount - server.database.pool.idleCount).toBe(0);
    });
    const { response } = await big.client.GET("/v1/tickets", { params: { query: { limit: 1 } } });
    expect(response.status).toBe(200);
    expect((await download(big.client, "tickets", { tag: "nothing-has-this" })).status).toBe(200);
  });
});

describe("audit trail export", () => {
  it("streams the trail's events with its filters, for admins only", { timeout: 60_000 }, async () => {
    const tenant = await signUp(server);
    const ticket = await openTicket(tenant.client, { title: "=cmd|' /C calc'!A0" });
    await tenant.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { priority: "high" } });
    // Background work (the ticket's triage) adds events meanwhile: read both until they agree.
    await eventually(async () => {
      const { data } = await tenant.client.GET("/v1/events", { params: { query: { limit: 100 } } });
      expect(data!.data.map((event) => event.type)).toEqual(expect.arrayContaining(["ticket.created", "ticket.updated", "ticket.triaged"]));
      expect(await linesOf<Schemas["Event"]>(tenant.client, "events")).toEqual(data!.data);
    });
    const rows = await csvOf(tenant.client, "events", { type: "ticket.updated" });
    expect(rows.length).toBe(1);
    expect(rows[0]).toMatchObject({ type: "ticket.updated", entityType: "ticket", entityId: ticket.id, ticketId: ticket.id, actorType: "user", actorId: tenant.admin.id });
    expect(JSON.parse(rows[0]!.after!)).toMatchObject({ priority: "high" });
    const created = await linesOf<Schemas["Event"]>(tenant.client, "events", { type: "ticket.created", ticketId: ticket.id });
    expect(created.map((event) => event.type)).toEqual(["ticket.created"]);
    // The hydrated ticket (`data`) carries the title as it is; CSV cells starting with = are neutralised.
    expect((created[0]!.data as Schemas["Ticket"]).title).toBe("=cmd|' /C calc'!A0");
    const createdRows = await csvOf(tenant.client, "events", { type: "ticket.created" });
    expect(JSON.parse(createdRows[0]!.after!).title).toBe("=cmd|' /C calc'!A0");
    const helper = await addMember(server, tenant, "agent");
    expect((await download(helper.client, "events")).status).toBe(403);
  });
});

describe("a large export from a server process", () => {
  let serverProcess: ServerProcess | undefined;
  afterAll(async () => {
    await serverProcess?.stop();
  });

  it(`keeps the server's memory flat while a slow client reads ${BIG.toLocaleString("en")} tickets, for longer than the statement timeout`, { timeout: 180_000 }, async () => {
    serverProcess = await startServerProcess(
      {
        DATABASE_URL: server.databaseUrl,
        JWT_SECRET: server.config.jwtSecret,
        WORKERS: "false",
        RATE_LIMIT_PER_MINUTE: "100000",
        DATA_DIR: server.config.dataDir,
        // Shorter than the slow read below: each batch is a statement of its own, the export is not.
        DATABASE_STATEMENT_TIMEOUT_MS: "1000",
      },
      // With npm start's Node flags: V8's default young generation alone can grow RSS by tens of MB.
      startScriptFlags(path.resolve(import.meta.dirname, "..")),
    );
    const { child, url } = serverProcess;
    const headers = { authorization: `Bearer ${big.client.tokens.accessToken}` };
    const read = async (query: string, pace?: () => Promise<void>) => {
      const response = await fetch(`${url}/v1/tickets/export?${query}`, { headers });
      expect(response.status).toBe(200);
      let newlines = 0;
      for await (const chunk of response.body!) {
        for (const byte of chunk as Uint8Array) if (byte === 10) newlines++;
        await pace?.();
      }
      return newlines;
    };
    // Warm up: the code paths compiled and the pools opened before the baseline is taken.
    await read("format=jsonl&tag=nothing-has-this");
    await read("format=jsonl&status=open");
    const baseline = residentMiB(child);
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, residentMiB(child))), 20);
    let chunks = 0;
    // A slow reader: a pause every few chunks, so the server must wait for it rather than read
    // ahead, and one pause longer than the statement timeout.
    const lines = await read("format=jsonl", async () => {
      if (++chunks === 1) await sleep(1500);
      else if (chunks % 20 === 0) await sleep(5);
    }).finally(() => clearInterval(sampler));
    const live = Number((await server.asOwner(`SELECT count(*) FROM "Ticket" WHERE "tenantId" = '${big.tenant.id}' AND "deletedAt" IS NULL`)).rows[0].count);
    expect(lines).toBe(live);
    const growthMb = peak - baseline;
    // The whole export as JSON is ~22 MB of text and several times that as objects; streaming holds a batch.
    expect(growthMb, `RSS grew ${growthMb.toFixed(1)} MB`).toBeLessThan(48);
  });
});
