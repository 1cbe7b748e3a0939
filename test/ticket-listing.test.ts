import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { addMember, helpdesk, signUp, type Member, type SignedUpTenant } from "./support/fixtures.ts";
import { openTicket, ticketPath } from "./support/tickets.ts";
import type { DocketClient, operations } from "../sdk/index.ts";

type ListQuery = NonNullable<operations["listTickets"]["parameters"]["query"]>;

let server: TestServer;
let acme: SignedUpTenant;
let agent: Member;
let customer: Member;

beforeAll(async () => {
  server = await startServer();
  ({ owner: acme, agent, customer } = await helpdesk(server));
});
afterAll(async () => {
  await server.close();
});

async function numbers(client: DocketClient, query: ListQuery): Promise<number[]> {
  const { data, error } = await client.GET("/v1/tickets", { params: { query } });
  expect(error, JSON.stringify(error)).toBeUndefined();
  return data!.data.map((ticket) => ticket.number);
}

async function walk(client: DocketClient, query: ListQuery, between?: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const { data } = await client.GET("/v1/tickets", { params: { query: { ...query, cursor } } });
    seen.push(...data!.data.map((ticket) => ticket.id));
    cursor = data!.nextCursor ?? undefined;
    await between?.();
  } while (cursor);
  return seen;
}

describe("filters and sorts", () => {
  it("combine status, priority, assignee, requester, tag, type and date filters", async () => {
    const tenant = await signUp(server);
    const helper = await addMember(server, tenant, "agent");
    const requester = await addMember(server, tenant, "user");
    const t1 = await openTicket(tenant.client, { title: "one", priority: "urgent", assigneeId: helper.user.id, tags: ["vip"], type: "incident" });
    const t2 = await openTicket(tenant.client, { title: "two", priority: "low", status: "pending", requesterId: requester.user.id });
    const t3 = await openTicket(tenant.client, { title: "three", priority: "high", tags: ["vip", "billing"] });
    const c = helper.client;
    expect(await numbers(c, { status: ["pending"] })).toEqual([t2.number]);
    expect(await numbers(c, { status: ["open", "pending"], priority: ["urgent", "low"] })).toEqual([t2.number, t1.number]);
    expect(await numbers(c, { assigneeId: "me" })).toEqual([t1.number]);
    expect(await numbers(c, { assigneeId: "none" })).toEqual([t3.number, t2.number]);
    expect(await numbers(c, { requesterId: requester.user.id })).toEqual([t2.number]);
    expect(await numbers(c, { tag: "VIP" })).toEqual([t3.number, t1.number]);
    expect(await numbers(c, { type: "incident" })).toEqual([t1.number]);
    expect(await numbers(c, { createdAfter: t2.createdAt })).toEqual([t3.number, t2.number]);
    expect(await numbers(c, { createdBefore: t2.createdAt })).toEqual([t1.number]);
    expect(await numbers(requester.client, {})).toEqual([t2.number]);
  });

  it("sort by number, priority, created and updated in either direction", async () => {
    const tenant = await signUp(server);
    const low = await openTicket(tenant.client, { title: "low", priority: "low" });
    const urgent = await openTicket(tenant.client, { title: "urgent", priority: "urgent" });
    const normal = await openTicket(tenant.client, { title: "normal" });
    await tenant.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(low.id), body: { title: "low, touched last" } });
    const c = tenant.client;
    expect(await numbers(c, { sort: "number" })).toEqual([1, 2, 3]);
    expect(await numbers(c, { sort: "-number" })).toEqual([3, 2, 1]);
    expect(await numbers(c, { sort: "-priority" })).toEqual([urgent.number, normal.number, low.number]);
    expect(await numbers(c, { sort: "priority" })).toEqual([low.number, normal.number, urgent.number]);
    expect(await numbers(c, { sort: "createdAt" })).toEqual([1, 2, 3]);
    expect((await numbers(c, { sort: "-updatedAt" }))[0]).toBe(low.number);
  });

  it("refuses a cursor from another sort order, and garbage, with a 400 naming the parameter", async () => {
    const tenant = await signUp(server);
    await openTicket(tenant.client);
    await openTicket(tenant.client);
    const first = await tenant.client.GET("/v1/tickets", { params: { query: { limit: 1, sort: "number" } } });
    const mixed = await tenant.client.GET("/v1/tickets", { params: { query: { limit: 1, sort: "-createdAt", cursor: first.data!.nextCursor! } } });
    expect(mixed.response.status).toBe(400);
    expect(mixed.error?.errors?.[0]?.parameter).toBe("cursor");
    const garbage = await tenant.client.GET("/v1/tickets", { params: { query: { cursor: "eyJub3BlIjp0cnVlfQ" } } });
    expect(garbage.response.status).toBe(400);
  });
});

describe("cursor pagination while tickets are being created", () => {
  it("neither repeats nor skips a ticket, newest first or by number", async () => {
    const tenant = await signUp(server);
    const before = [];
    for (let i = 0; i < 23; i++) before.push(await openTicket(tenant.client, { title: `Existing ${i}` }));
    let added = 0;
    const insert = async () => {
      added++;
      await openTicket(tenant.client, { title: `Arrived while paging ${added}` });
    };

    const newestFirst = await walk(tenant.client, { limit: 5 }, insert);
    expect(new Set(newestFirst).size).toBe(newestFirst.length);
    expect(newestFirst).toEqual(before.map((t) => t.id).reverse());

    const byNumber = await walk(tenant.client, { limit: 5, sort: "number" }, insert);
    expect(new Set(byNumber).size).toBe(byNumber.length);
    const all = await tenant.client.GET("/v1/tickets", { params: { query: { limit: 100, sort: "number" } } });
    // Everything that existed when the walk started or arrived before its last page, in order.
    expect(byNumber).toEqual(all.data!.data.map((t) => t.id).slice(0, byNumber.length));
    expect(byNumber.length).toBeGreaterThanOrEqual(23 + 5);
  });
});

describe("full-text search", () => {
  it("ranks title over description over public comments, and ignores internal notes", async () => {
    const tenant = await signUp(server);
    const helper = await addMember(server, tenant, "agent");
    const inComment = await openTicket(tenant.client, { title: "Office supplies", description: "We need paper." });
    await tenant.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(inComment.id), body: { body: "Also the printers are jammed." } });
    const inTitle = await openTicket(tenant.client, { title: "Printer jammed on floor 2", description: "Paper stuck." });
    const inDescription = await openTicket(tenant.client, { title: "Floor 3 request", description: "The printer shows error 41." });
    const internalOnly = await openTicket(tenant.client, { title: "Coffee machine" });
    await helper.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(internalOnly.id), body: { body: "printer vendor may know", internal: true } });
    await openTicket(tenant.client, { title: "Unrelated", description: "Nothing to see" });

    const found = await tenant.client.GET("/v1/tickets", { params: { query: { q: "printer" } } });
    expect(found.data!.data.map((t) => t.id)).toEqual([inTitle.id, inDescription.id, inComment.id]);

    const phrase = await tenant.client.GET("/v1/tickets", { params: { query: { q: '"error 41"' } } });
    expect(phrase.data!.data.map((t) => t.id)).toEqual([inDescription.id]);
    const excluded = await tenant.client.GET("/v1/tickets", { params: { query: { q: "printer -jammed" } } });
    expect(excluded.data!.data.map((t) => t.id)).toEqual([inDescription.id]);
    const combined = await tenant.client.GET("/v1/tickets", { params: { query: { q: "printer", sort: "number", limit: 1 } } });
    expect(combined.data!.data.map((t) => t.id)).toEqual([inComment.id]);
    const page2 = await tenant.client.GET("/v1/tickets", { params: { query: { q: "printer", limit: 2, cursor: (await tenant.client.GET("/v1/tickets", { params: { query: { q: "printer", limit: 2 } } })).data!.nextCursor! } } });
    expect(page2.data!.data.map((t) => t.id)).toEqual([inComment.id]);
  });

  it("ranks the 1,000 most recent matches, and lists every match when sorted by a field", async () => {
    const tenant = await signUp(server);
    // 1,005 matching tickets, written directly: 1,005 POSTs would only slow the test down.
    await server.database.system.pool.query(
      `INSERT INTO "Ticket" ("tenantId", id, number, title, "requesterId", "updatedAt", "createdAt")
       SELECT $1, gen_random_uuid(), n, 'Quasar ' || n, $2, now(), now() - n * interval '1 second' FROM generate_series(1, 1005) n`,
      [tenant.tenant.id, tenant.admin.id],
    );
    const walkAll = async (sort?: "-createdAt") => {
      let count = 0;
      let cursor: string | undefined;
      do {
        const { data } = await tenant.client.GET("/v1/tickets", { params: { query: { q: "quasar", limit: 100, sort, cursor } } });
        count += data!.data.length;
        cursor = data!.nextCursor ?? undefined;
      } while (cursor);
      return count;
    };
    expect(await walkAll()).toBe(1000);
    expect(await walkAll("-createdAt")).toBe(1005);
  });

  it("keeps taking comments on a ticket with more than 1 MB of them, and finds a recent one's words", async () => {
    const tenant = await signUp(server);
    const ticket = await openTicket(tenant.client, { title: "Long running thread" });
    // Distinct made-up words, so the thread's words would not fit one 1 MB search vector.
    const words = (n: number) => Array.from({ length: n }, () => crypto.randomBytes(6).toString("hex")).join(" ");
    const earliest = words(5000);
    let total = 0;
    for (let i = 0; total < 1_200_000; i++) {
      const body = i === 0 ? earliest : words(5000);
      total += body.length;
      const posted = await tenant.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body } });
      expect(posted.response.status, JSON.stringify(posted.error)).toBe(201);
    }
    const recent = await tenant.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "The zebrafinch firmware fixed it" } });
    expect(recent.response.status, JSON.stringify(recent.error)).toBe(201);

    const search = async (q: string) => (await tenant.client.GET("/v1/tickets", { params: { query: { q } } })).data!.data.map((t) => t.id);
    expect(await search("zebrafinch")).toEqual([ticket.id]);
    expect(await search(earliest.split(" ")[0]!)).toEqual([ticket.id]);
  });

  it("indexes a comment of the largest size the contract allows, and refuses a larger one", async () => {
    const tenant = await signUp(server);
    const ticket = await openTicket(tenant.client, { title: "Big paste" });
    // 65,536 characters of distinct multi-byte words: the most a comment can hold for its vector.
    let body = "";
    for (let i = 0; body.length < 65_536 - 8; i++) body += `${String.fromCodePoint(0x4e00 + (i % 20_000))}${i.toString(36)} `;
    body = body.padEnd(65_536, "x");
    const largest = await tenant.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body } });
    expect(largest.response.status, JSON.stringify(largest.error)).toBe(201);
    const larger = await tenant.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: body + "y" } });
    expect(larger.response.status).toBe(400);
  });

  it("forgets a comment's words once it is edited or deleted", async () => {
    const tenant = await signUp(server);
    const ticket = await openTicket(tenant.client, { title: "Keyboard" });
    const typo = (await tenant.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "keys are stikcy" } })).data!;
    const gone = (await tenant.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "spilled lemonade" } })).data!;
    const one = (commentId: string) => ({ params: { path: { ticketId: ticket.id, commentId } } });
    await tenant.client.PATCH("/v1/tickets/{ticketId}/comments/{commentId}", { ...one(typo.id), body: { body: "keys are sticky" } });
    await tenant.client.DELETE("/v1/tickets/{ticketId}/comments/{commentId}", one(gone.id));

    for (const sort of [undefined, "number"] as const) {
      const search = async (q: string) => (await tenant.client.GET("/v1/tickets", { params: { query: { q, sort } } })).data!.data.map((t) => t.id);
      expect(await search("sticky")).toEqual([ticket.id]);
      expect(await search("stikcy")).toEqual([]);
      expect(await search("lemonade")).toEqual([]);
    }
  });

  it("never finds another tenant's or another requester's tickets", async () => {
    await openTicket(acme.client, { title: "Zanzibar outage" });
    const other = await signUp(server);
    expect((await other.client.GET("/v1/tickets", { params: { query: { q: "zanzibar" } } })).data!.data).toEqual([]);
    expect((await customer.client.GET("/v1/tickets", { params: { query: { q: "zanzibar" } } })).data!.data).toEqual([]);
    expect((await agent.client.GET("/v1/tickets", { params: { query: { q: "zanzibar" } } })).data!.data).toHaveLength(1);
  });
});
