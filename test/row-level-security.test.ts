// The second wall between tenants: PostgreSQL row-level security under the application's role.
// Whatever a query forgets to say, it sees only the rows of the tenant in scope, and none at all
// outside one. Data is made through the API like any user would; the wall is then probed with
// raw SQL, as a forgotten filter would.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { PASSWORD, signUp, type SignedUpTenant } from "./support/fixtures.ts";
import { openTicket } from "./support/tickets.ts";
import { uploadPresigned, requestUpload, PNG } from "./support/attachments.ts";
import { eventually, startReceiver, type Receiver } from "./support/webhook-receiver.ts";
import { sendReply } from "./support/inbound.ts";
import { article, section } from "./support/help-center.ts";
import { APP_ROLE, COMMITS_SQL, connectDatabase, connectSystemDatabase, PREPARED } from "../src/db/client.ts";
import { NO_TENANT, tenantScope } from "../src/db/tenant-scope.ts";
import { TICKET_BY_ID } from "../src/modules/tickets/service.ts";

let server: TestServer;
let receiver: Receiver;
/** Connects as DATABASE_URL's role (a superuser in tests), which sees everything: the reference. */
let owner: pg.Client;
/** A raw connection acting as the application's role, as src/db/client.ts sets up its pool. */
let app: pg.Client;
let a: SignedUpTenant;
let b: SignedUpTenant;

interface PlanNode {
  "Parent Relationship"?: string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Index Cond"?: string;
  Plans?: PlanNode[];
}

/** Every table holding a tenant's rows, and the column naming the tenant. */
let tenantOwned: Array<{ table: string; column: string }>;

const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

async function populate(tenant: SignedUpTenant): Promise<void> {
  const ticket = await openTicket(tenant.client);
  await tenant.client.POST("/v1/tickets", { headers: { "idempotency-key": `rls-${tenant.tenant.id}` }, body: { title: "Kept once" } });
  const comment = await tenant.client.POST("/v1/tickets/{ticketId}/comments", { params: { path: { ticketId: ticket.id } }, body: { body: "On it" } });
  // A read marker, an API key and an unused stream ticket: the tables the live stream and integrations add.
  await tenant.client.PUT("/v1/tickets/{ticketId}/read-marker", { params: { path: { ticketId: ticket.id } }, body: { commentId: comment.data!.id } });
  expect((await tenant.client.POST("/v1/api-keys", { body: { name: "rls", role: "agent" } })).response.status).toBe(201);
  expect((await tenant.client.POST("/v1/stream/tickets")).response.status).toBe(201);
  expect((await uploadPresigned(tenant.client, ticket.id, "pixel.png", "image/png", PNG)).response.status).toBe(201);
  await requestUpload(tenant.client, ticket.id, { filename: "later.png", contentType: "image/png", size: PNG.length });
  const hook = await tenant.client.POST("/v1/webhooks", { body: { url: receiver.url(`/rls-${tenant.tenant.id}`) } });
  expect(hook.error, JSON.stringify(hook.error)).toBeUndefined();
  await tenant.client.POST("/v1/webhooks/{webhookId}/ping", { params: { path: { webhookId: hook.data!.id } } });
  await receiver.waitFor(`/rls-${tenant.tenant.id}`, 1);
  // The account emails' and inbound email's tables: an invitation, a password reset (its row is
  // written by the job that mails it), and a reply received by email.
  expect((await tenant.client.POST("/v1/users/invitations", { body: { email: `invitee@${tenant.tenant.slug}.test` } })).response.status).toBe(201);
  expect((await server.client().POST("/v1/auth/password-reset", { body: { tenantSlug: tenant.tenant.slug, email: tenant.admin.email } })).response.status).toBe(202);
  const replyTo = server.services.replyAddresses.addressFor({ tenantId: tenant.tenant.id, ticketId: ticket.id, userId: tenant.admin.id });
  expect((await sendReply(server, { from: tenant.admin.email, to: replyTo, text: "Replied by email" })).status).toBe(201);
  // Notifications (the new API key is a security notice to the admin), the inbox, a follow, a
  // preference and a tenant default.
  await eventually(async () => expect((await tenant.client.GET("/v1/notifications")).data!.data.length).toBeGreaterThan(0));
  await tenant.client.POST("/v1/notifications/read-all", { body: {} });
  await tenant.client.PUT("/v1/tickets/{ticketId}/subscription", { params: { path: { ticketId: ticket.id } }, body: { state: "following" } });
  await tenant.client.PUT("/v1/notifications/preferences", { body: { preferences: [{ kind: "follower", channel: "email", enabled: true }] } });
  await tenant.client.PUT("/v1/notifications/defaults", { body: { preferences: [{ kind: "comment", channel: "email", enabled: true }] } });
  // The chat widget's settings and a visitor.
  expect((await tenant.client.PUT("/v1/widget/settings", { body: { allowedOrigins: ["https://shop.test"] } })).response.status).toBe(200);
  const visitor = await fetch(`${server.url}/v1/public/${tenant.tenant.slug}/widget/sessions`, { method: "POST", headers: { "content-type": "application/json", origin: "https://shop.test" }, body: "{}" });
  expect(visitor.status).toBe(201);
  // The help center: a category, a section, a published article and a visitor's vote on it.
  const { section: helpSection } = await section(tenant.client);
  const helpArticle = await article(tenant.client, { sectionId: helpSection.id, locale: "en", title: "Row-level security", body: "Walls." });
  const voted = await server.client().PUT("/v1/public/{tenantSlug}/help-center/articles/{articleId}/vote", {
    params: { path: { tenantSlug: tenant.tenant.slug, articleId: helpArticle.id } },
    body: { value: "helpful", visitorId: "visitor-rls" },
  });
  expect(voted.response.status).toBe(200);
  // SLA: a schedule, a policy, a ticket it applies to (timers pending for its breaches), and
  // measurements fulfilled by solving another.
  const schedule = await tenant.client.POST("/v1/schedules", { body: { name: "Office", timeZone: "Europe/Paris", weeklyHours: [{ day: "monday", start: "09:00", end: "17:00" }] } });
  expect(schedule.error, JSON.stringify(schedule.error)).toBeUndefined();
  const policy = await tenant.client.POST("/v1/sla-policies", { body: { name: "All", scheduleId: schedule.data!.id, targets: { normal: { firstReply: { minutes: 600 }, resolution: { minutes: 6000 } } } } });
  expect(policy.error, JSON.stringify(policy.error)).toBeUndefined();
  await openTicket(tenant.client);
  const measured = await openTicket(tenant.client);
  await tenant.client.PATCH("/v1/tickets/{ticketId}", { params: { path: { ticketId: measured.id } }, body: { status: "solved" } });
  // An agent's open-ticket count (AgentOpenCount): a ticket assigned to the admin.
  await openTicket(tenant.client, { title: "Assigned", assigneeId: tenant.admin.id });
  // Routing: a group with its admin as member, a rule, a macro.
  const group = await tenant.client.POST("/v1/groups", { body: { name: "Support", memberIds: [tenant.admin.id] } });
  expect(group.error, JSON.stringify(group.error)).toBeUndefined();
  expect((await tenant.client.POST("/v1/routing-rules", { body: { name: "All", conditions: {}, actions: { groupId: group.data!.id } } })).response.status).toBe(201);
  expect((await tenant.client.POST("/v1/macros", { body: { title: "Thanks", changes: {}, comment: { body: "Thanks!" } } })).response.status).toBe(201);
  // Automation: the new ticket's triage (written by the triage job).
  await eventually(async () => expect((await tenant.client.GET("/v1/tickets/{ticketId}/triage", { params: { path: { ticketId: ticket.id } } })).response.status).toBe(200));
  // A summary, and a QA review of the admin's reply to a customer's ticket.
  expect((await tenant.client.POST("/v1/tickets/{ticketId}/summary", { params: { path: { ticketId: ticket.id } } })).response.status).toBe(200);
  const customer = await tenant.client.POST("/v1/users", { body: { email: `customer@${tenant.tenant.slug}.test`, name: "Cus Tomer", role: "user", password: PASSWORD } });
  const asked = await openTicket(tenant.client, { title: "Reviewed", requesterId: customer.data!.id });
  await tenant.client.POST("/v1/tickets/{ticketId}/comments", { params: { path: { ticketId: asked.id } }, body: { body: "Hello, fixed it for you." } });
  expect((await tenant.client.POST("/v1/qa-reviews", { body: { ticketId: asked.id } })).response.status).toBe(201);
}

async function count(client: pg.Client, table: string, where = "true", values: unknown[] = []): Promise<number> {
  const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${quoted(table)} WHERE ${where}`, values);
  return rows[0]!.n;
}

beforeAll(async () => {
  server = await startServer();
  receiver = await startReceiver();
  owner = new pg.Client({ connectionString: server.databaseUrl });
  await owner.connect();
  app = new pg.Client({ connectionString: server.databaseUrl, options: `-c role=${APP_ROLE}` });
  await app.connect();
  a = await signUp(server);
  b = await signUp(server);
  await populate(a);
  await populate(b);
  const { rows } = await owner.query<{ table: string }>(
    `SELECT c.table_name AS table FROM information_schema.columns c
       JOIN information_schema.tables t USING (table_schema, table_name)
      WHERE c.table_schema = current_schema() AND c.column_name = 'tenantId' AND t.table_type = 'BASE TABLE'
      ORDER BY 1`,
  );
  tenantOwned = [...rows.map(({ table }) => ({ table, column: "tenantId" })), { table: "Tenant", column: "id" }];
  // The deliveries' attempts are written by the worker once the receiver answered.
  await eventually(async () => expect(await count(owner, "WebhookAttempt")).toBeGreaterThanOrEqual(2));
  await eventually(async () => expect(await count(owner, "PasswordReset")).toBeGreaterThanOrEqual(2));
});

afterAll(async () => {
  await app?.end();
  await owner?.end();
  await receiver?.close();
  await server?.close();
});

describe("row-level security under the application's role", () => {
  it("covers every tenant-owned table: enabled, forced, and the tenant policy in place", async () => {
    const { rows } = await owner.query<{ table: string; enabled: boolean; forced: boolean; policies: string[] }>(
      `SELECT c.relname AS table, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
              coalesce(array_agg(p.polname::text ORDER BY p.polname) FILTER (WHERE p.polname IS NOT NULL), '{}'::text[]) AS policies
         FROM pg_class c
         LEFT JOIN pg_policy p ON p.polrelid = c.oid
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY($1)
        GROUP BY c.relname, c.relrowsecurity, c.relforcerowsecurity ORDER BY c.relname`,
      [tenantOwned.map(({ table }) => table)],
    );
    // A new tenant-owned table fails here until its migration runs docket_isolate_tenant_table().
    expect(rows).toEqual(
      tenantOwned
        .map(({ table }) => ({ table, enabled: true, forced: true, policies: ["system_crosses_tenants", "tenant_isolation"] }))
        .sort((x, y) => (x.table < y.table ? -1 : 1)),
    );
  });

  it("returns no rows from any tenant-owned table without the tenant setting, while the data exists", async () => {
    for (const { table } of tenantOwned) {
      expect(await count(owner, table), `${table} holds rows (seen by the owner)`).toBeGreaterThan(0);
      expect(await count(app, table), `${table} without a tenant`).toBe(0);
    }
    // The application's own pool, outside any request's scope: the same.
    const { rows } = await server.database.pool.query(`SELECT id FROM "Ticket"`);
    expect(rows).toEqual([]);
    expect(await server.database.prisma.ticket.findMany()).toEqual([]);
  });

  it("returns only tenant A's rows with A's setting, however the query forgets to filter", async () => {
    await app.query(`SELECT set_config('docket.tenant_id', $1, false)`, [a.tenant.id]);
    try {
      for (const { table, column } of tenantOwned) {
        const own = await count(owner, table, `${quoted(column)} = $1`, [a.tenant.id]);
        expect(own, `${table} has rows of A`).toBeGreaterThan(0);
        expect(await count(app, table), `${table} under A`).toBe(own);
        expect(await count(app, table, `${quoted(column)} <> $1`, [a.tenant.id]), `${table}: other tenants under A`).toBe(0);
      }
    } finally {
      await app.query(`SELECT set_config('docket.tenant_id', '', false)`);
    }
    // The services' client in A's scope: a query with no tenantId at all. (Prisma's queries run
    // when awaited, so they are awaited inside the scope.)
    const tickets = await tenantScope.run(a.tenant.id, async () => await server.database.prisma.ticket.findMany());
    expect(tickets.length).toBeGreaterThan(0);
    expect(new Set(tickets.map((ticket) => ticket.tenantId))).toEqual(new Set([a.tenant.id]));
  });

  it("refuses to write another tenant's row (WITH CHECK)", async () => {
    await app.query("BEGIN");
    try {
      await app.query(`SELECT set_config('docket.tenant_id', $1, true)`, [a.tenant.id]);
      await expect(
        app.query(`INSERT INTO "Ticket" ("tenantId", id, number, title, "requesterId", "updatedAt") VALUES ($1, gen_random_uuid(), 999, 'Planted', $2, now())`, [b.tenant.id, b.admin.id]),
      ).rejects.toMatchObject({ code: "42501", message: expect.stringContaining("row-level security") });
    } finally {
      await app.query("ROLLBACK");
    }
    // Nor move one of A's rows to B.
    await app.query("BEGIN");
    try {
      await app.query(`SELECT set_config('docket.tenant_id', $1, true)`, [a.tenant.id]);
      await expect(app.query(`UPDATE "Comment" SET "tenantId" = $1`, [b.tenant.id])).rejects.toMatchObject({ code: expect.stringMatching(/^(42501|23503)$/) });
    } finally {
      await app.query("ROLLBACK");
    }
  });

  it("scopes each hand-out of one connection to its own tenant, transactions (tenant sent with BEGIN) and single queries alike", async () => {
    // One connection for everything, so every hand-out follows one for another tenant (or none).
    const shared = connectDatabase(server.databaseUrl, { poolSize: 1 });
    try {
      const tenantsSeen = (rows: Array<{ tenantId: string }>) => [...new Set(rows.map((row) => row.tenantId))];
      const single = (tenantId: string) => tenantScope.run(tenantId, async () => (await shared.pool.query<{ tenantId: string }>(`SELECT "tenantId" FROM "Ticket"`)).rows);
      const inTransaction = (tenantId: string) =>
        tenantScope.run(tenantId, async () => await shared.prisma.$transaction(async (tx) => await tx.$queryRawUnsafe<Array<{ tenantId: string }>>(`SELECT "tenantId" FROM "Ticket"`)));
      expect(tenantsSeen(await single(a.tenant.id))).toEqual([a.tenant.id]);
      expect(tenantsSeen(await inTransaction(b.tenant.id))).toEqual([b.tenant.id]);
      // B's setting was the transaction's own: the session still holds A's, and serves A right.
      expect(tenantsSeen(await single(a.tenant.id))).toEqual([a.tenant.id]);
      expect(await inTransaction(NO_TENANT)).toEqual([]);
      expect(await single(NO_TENANT)).toEqual([]);
      // Interleaved, queued on the one connection in every order.
      const runs = Array.from({ length: 24 }, (_, i) => {
        const tenant = [a, b][i % 2]!.tenant.id;
        return (i % 3 === 0 ? inTransaction(tenant) : single(tenant)).then((rows) => ({ tenant, seen: tenantsSeen(rows) }));
      });
      for (const { tenant, seen } of await Promise.all(runs)) expect(seen).toEqual([tenant]);
      // A transaction that fails leaves the connection serving the next tenant correctly.
      await expect(tenantScope.run(b.tenant.id, () => shared.prisma.$transaction(async (tx) => tx.$queryRawUnsafe(`SELECT 1/0`)))).rejects.toThrow();
      expect(tenantsSeen(await single(a.tenant.id))).toEqual([a.tenant.id]);
      // A single query sent with its tenant's setting that fails takes the setting down with it:
      // the next query of that tenant still sees its rows, and only them.
      await expect(tenantScope.run(b.tenant.id, () => shared.pool.query(`SELECT 1/0`))).rejects.toThrow(/division by zero/);
      expect(tenantsSeen(await single(b.tenant.id))).toEqual([b.tenant.id]);
      // A prepared statement whose first use failed is prepared afresh, not assumed to exist.
      const named = (tenantId: string, text: string) => tenantScope.run(tenantId, () => shared.pool.query({ name: "rls-test-named", text, values: [] }));
      await expect(named(a.tenant.id, `SELECT "tenantId" FROM "Tickett"`)).rejects.toThrow(/does not exist/);
      await expect(named(b.tenant.id, `SELECT "tenantId" FROM "Tickett"`)).rejects.toThrow(/relation "Tickett" does not exist/);
      const good = (tenantId: string) => tenantScope.run(tenantId, () => shared.pool.query<{ tenantId: string }>({ name: "rls-test-good", text: `SELECT "tenantId" FROM "Ticket"`, values: [] }));
      for (const tenant of [a, b, a, a, b]) expect(tenantsSeen((await good(tenant.tenant.id)).rows)).toEqual([tenant.tenant.id]);
      // One whose Parse went through before its execution failed does exist: it is not parsed again,
      // sent as a checkout's first query or as a transaction's first statement (with its BEGIN).
      const late = (tenantId: string, divisor: number) =>
        tenantScope.run(tenantId, () => shared.pool.query<{ tenantId: string }>({ name: "rls-test-late", text: `SELECT "tenantId", 1 / $1::int AS x FROM "Ticket"`, values: [divisor] }));
      await expect(late(a.tenant.id, 0)).rejects.toThrow(/division by zero/);
      for (const tenant of [b, a]) expect(tenantsSeen((await late(tenant.tenant.id, 1)).rows)).toEqual([tenant.tenant.id]);
      const lateInTransaction = (tenantId: string, divisor: number) =>
        tenantScope.run(tenantId, () => shared.prisma.$transaction(async (tx) => await tx.$queryRawUnsafe<Array<{ tenantId: string }>>(`${PREPARED}SELECT "tenantId", 1 / $1::int AS x FROM "Ticket"`, divisor)));
      await expect(lateInTransaction(b.tenant.id, 0)).rejects.toThrow(/division by zero/);
      for (const tenant of [b, a]) expect(tenantsSeen(await lateInTransaction(tenant.tenant.id, 1))).toEqual([tenant.tenant.id]);
    } finally {
      await shared.close();
    }
  });

  it("leaves a connection idle, not inside a transaction, after a query without parameters sent behind its tenant's setting", async () => {
    // Such a query once went by the simple protocol behind the setting's extended messages, which
    // left their implicit transaction open: the connection sat idle in a transaction (holding back
    // the event feed's horizon, and a flush wait committed nothing), and the next transaction's
    // ROLLBACK undid the setting, so the tenant's later queries ran without it.
    const shared = connectDatabase(server.databaseUrl, { poolSize: 1 });
    try {
      const stateOf = async (pid: number) => (await owner.query<{ state: string }>(`SELECT state FROM pg_stat_activity WHERE pid = $1`, [pid])).rows[0]!.state;
      for (const tenant of [a, b]) {
        const { rows } = await tenantScope.run(tenant.tenant.id, () => shared.pool.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`));
        expect(await stateOf(rows[0]!.pid)).toBe("idle");
      }
      await expect(tenantScope.run(b.tenant.id, () => shared.prisma.$transaction(async (tx) => tx.$queryRawUnsafe(`SELECT 1/0`)))).rejects.toThrow(/division by zero/);
      const { rows } = await tenantScope.run(b.tenant.id, () => shared.pool.query<{ tenantId: string }>(`SELECT "tenantId" FROM "Ticket"`));
      expect([...new Set(rows.map((row) => row.tenantId))]).toEqual([b.tenant.id]);
    } finally {
      await shared.close();
    }
  });

  it("commits a transaction with its statement marked COMMITS, in that statement's round trip, and commits nothing if it fails", async () => {
    const shared = connectDatabase(server.databaseUrl, { poolSize: 1 }); // one connection: each case follows the last on it
    const system = connectSystemDatabase(server.databaseUrl, { poolSize: 1 });
    try {
      const [ticket] = (await owner.query<{ id: string }>(`SELECT id FROM "Ticket" WHERE "tenantId" = $1 ORDER BY number LIMIT 1`, [a.tenant.id])).rows;
      const stored = async () => (await owner.query<{ title: string; description: string }>(`SELECT title, description FROM "Ticket" WHERE id = $1`, [ticket!.id])).rows[0]!;
      const seenBeforeItsCommit: string[] = [];
      /** Two statements, the last marked: it fails (after its Parse) when divisor is 0. */
      const retitle = (title: string, divisor = 1) =>
        tenantScope.run(a.tenant.id, () =>
          shared.prisma.$transaction(async (tx) => {
            await tx.$executeRaw`UPDATE "Ticket" SET description = ${`for ${title}`} WHERE id = ${ticket!.id}::uuid`;
            // Led by whitespace, as the services' multi-line statements are.
            const updated = await tx.$executeRaw`
              ${COMMITS_SQL}UPDATE "Ticket" SET title = ${title}, version = version + 1 / ${divisor}::int WHERE id = ${ticket!.id}::uuid`;
            seenBeforeItsCommit.push((await stored()).title);
            return updated;
          }),
        );
      // One row under tenant A's policies (the transaction's tenant went out with its BEGIN), and
      // committed before the transaction's own COMMIT: another connection already sees it.
      expect(await retitle("Committed with its statement")).toBe(1);
      expect(seenBeforeItsCommit).toEqual(["Committed with its statement"]);
      // A write, so prepared once on the connection and then only executed.
      const prepared = await tenantScope.run(a.tenant.id, () =>
        shared.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement LIKE '%/* commits */ UPDATE "Ticket" SET title = $1,%'`),
      );
      expect(prepared.rows[0]!.n).toBe(1);
      // The marked statement fails: nothing of the transaction is kept, the first statement included.
      await expect(retitle("Never kept", 0)).rejects.toThrow(/division by zero/);
      expect(await stored()).toEqual({ title: "Committed with its statement", description: "for Committed with its statement" });
      // The connection goes on serving (its prepared statements as they are), and a marked
      // statement alone carries BEGIN, the tenant, itself and COMMIT in one group.
      expect(await retitle("Again")).toBe(1);
      const alone = await tenantScope.run(a.tenant.id, () => shared.prisma.$transaction(async (tx) => tx.$executeRaw`${COMMITS_SQL}UPDATE "Ticket" SET title = 'Alone' WHERE id = ${ticket!.id}::uuid`));
      expect(alone).toBe(1);
      expect((await stored()).title).toBe("Alone");
      // Nothing may follow the marked statement: it would run outside the transaction.
      const followed = tenantScope.run(a.tenant.id, () =>
        shared.prisma.$transaction(async (tx) => {
          await tx.$executeRaw`${COMMITS_SQL}UPDATE "Ticket" SET title = 'Then more' WHERE id = ${ticket!.id}::uuid`;
          await tx.$executeRaw`UPDATE "Ticket" SET title = 'Outside' WHERE id = ${ticket!.id}::uuid`;
        }),
      );
      await expect(followed).rejects.toThrow(/after the one that committed its transaction/);
      expect((await stored()).title).toBe("Then more");
      // The cross-tenant pool (the workers') does the same, without a tenant.
      const [owned] = await system.prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT 1`;
        return tx.$queryRaw<{ title: string }[]>`${COMMITS_SQL}UPDATE "Ticket" SET title = 'By the system' WHERE id = ${ticket!.id}::uuid RETURNING title`;
      });
      expect(owned).toEqual({ title: "By the system" });
      expect((await stored()).title).toBe("By the system");
    } finally {
      await shared.close();
      await system.close();
    }
  });

  it("keeps two tenants' concurrent look-ups apart when Prisma batches them into one query", async () => {
    const [ticketOfA] = await tenantScope.run(a.tenant.id, async () => await server.database.prisma.ticket.findMany({ take: 1 }));
    const [ticketOfB] = await tenantScope.run(b.tenant.id, async () => await server.database.prisma.ticket.findMany({ take: 1 }));
    // Same tick, same shape: Prisma would run both in one query, under one tenant's setting.
    const found = await Promise.all([
      tenantScope.run(a.tenant.id, async () => await server.database.prisma.ticket.findUnique({ where: { tenantId_id: { tenantId: a.tenant.id, id: ticketOfA!.id } } })),
      tenantScope.run(b.tenant.id, async () => await server.database.prisma.ticket.findUnique({ where: { tenantId_id: { tenantId: b.tenant.id, id: ticketOfB!.id } } })),
    ]);
    expect(found.map((ticket) => ticket?.id)).toEqual([ticketOfA!.id, ticketOfB!.id]);
  });

  it("lets the list's filters, pages and search use their indexes under the policies", async () => {
    // The conditions in the forms src/modules/tickets/listing.ts writes them, each with the index
    // made for it. Under the policies PostgreSQL uses a condition in an index scan only if its
    // function is LEAKPROOF; otherwise it becomes a filter over the tenant's every ticket, which no
    // result shows but every large tenant feels (a rare tag: 0.1 → 64 ms at 100,000 tickets).
    const cases = [
      { index: "Ticket_tenantId_status_createdAt_idx", condition: `t.status = ANY($2::"TicketStatus"[])`, value: ["on_hold"], column: "status" },
      { index: "Ticket_tenantId_priority_number_idx", condition: `(t.priority, t.number) > ($2::"TicketPriority", 1)`, value: "high", column: "priority" },
      { index: "Ticket_tags_idx", condition: `t.tags @> ARRAY[$2]::text[]`, value: "billing", column: "tags" },
      { index: "Ticket_searchBucket_searchVector_idx", condition: `t."searchVector" @@ websearch_to_tsquery('english', $2)`, value: "printer", column: "searchVector" },
      // Relevance search's probe of one bucket of ticket numbers: both conditions in the index.
      {
        index: "Ticket_searchBucket_searchVector_idx",
        condition: `(t.number >> 14) = 0 AND t."searchVector" @@ websearch_to_tsquery('english', $2)`,
        value: "printer",
        column: "number >> 14.*searchVector",
      },
    ];
    // All in one transaction, rolled back: A gets 3,000 more tickets (open, normal, untagged), so
    // that each condition, which matches none of them, is clearly worth an index to the planner.
    // Then, per case, the table keeps only that index and the query is planned as the
    // application's role, in A's scope.
    await owner.query("BEGIN");
    try {
      await owner.query(
        `INSERT INTO "Ticket" ("tenantId", id, number, title, "requesterId", "updatedAt")
         SELECT $1, gen_random_uuid(), 1000000 + g, 'Filler', $2, now() FROM generate_series(1, 3000) g`,
        [a.tenant.id, a.admin.id],
      );
      await owner.query(`ANALYZE "Ticket"`);
      for (const { index, condition, value, column } of cases) {
        await owner.query("SAVEPOINT one_index");
        const { rows: others } = await owner.query<{ name: string }>(
          `SELECT quote_ident(c.relname) AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = '"Ticket"'::regclass AND NOT i.indisprimary AND c.relname <> $1`,
          [index],
        );
        for (const { name } of others) await owner.query(`DROP INDEX ${name}`);
        await owner.query(`ALTER TABLE "Ticket" DROP CONSTRAINT "Ticket_pkey" CASCADE`);
        await owner.query(`SET LOCAL ROLE ${APP_ROLE}`);
        await owner.query(`SELECT set_config('docket.tenant_id', $1, true)`, [a.tenant.id]);
        await owner.query("SET LOCAL enable_seqscan = off");
        const { rows } = await owner.query<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>(
          `EXPLAIN (FORMAT JSON, COSTS OFF) SELECT t.id FROM "Ticket" t WHERE t."tenantId" = $1 AND ${condition}`,
          [a.tenant.id, value],
        );
        const scans: string[] = [];
        const walk = (node: PlanNode) => {
          if (node["Index Name"]) scans.push(`${node["Index Name"]}: ${node["Index Cond"] ?? ""}`);
          for (const child of node.Plans ?? []) walk(child);
        };
        walk(rows[0]!["QUERY PLAN"][0]!.Plan);
        expect(scans, column).toContainEqual(expect.stringMatching(new RegExp(`^${index}: .*${column}`)));
        await owner.query("ROLLBACK TO SAVEPOINT one_index"); // the indexes, the role and the settings
      }
    } finally {
      await owner.query("ROLLBACK");
    }
  });

  it("checks the tenant once per statement, without a sub-plan per table (GET by id's statement)", async () => {
    // The policy compares with the setting itself, so the planner folds it into the query's own
    // "tenantId" = $1 (one check per statement). Written as a sub-select, each table it touches
    // cost two more plan nodes per execution: 21 µs of PostgreSQL's CPU on this statement.
    await owner.query("BEGIN");
    try {
      await owner.query(`SET LOCAL ROLE ${APP_ROLE}`);
      await owner.query(`SELECT set_config('docket.tenant_id', $1, true)`, [a.tenant.id]);
      await owner.query("SET LOCAL plan_cache_mode = force_generic_plan");
      await owner.query(`PREPARE ticket_by_id(uuid, uuid, uuid, boolean) AS ${TICKET_BY_ID}`);
      const { rows } = await owner.query<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>(
        `EXPLAIN (FORMAT JSON, COSTS OFF) EXECUTE ticket_by_id(${owner.escapeLiteral(a.tenant.id)}, gen_random_uuid(), ${owner.escapeLiteral(a.admin.id)}, true)`,
      );
      const nodes: PlanNode[] = [];
      const walk = (node: PlanNode) => {
        nodes.push(node);
        for (const child of node.Plans ?? []) walk(child);
      };
      walk(rows[0]!["QUERY PLAN"][0]!.Plan);
      expect(nodes.filter((node) => node["Parent Relationship"] === "InitPlan" || node["Parent Relationship"] === "SubPlan")).toEqual([]);
      const ticketScan = nodes.find((node) => node["Relation Name"] === "Ticket");
      expect(ticketScan?.["Index Cond"]).toMatch(/"tenantId" = \$1/);
    } finally {
      await owner.query("ROLLBACK");
      await owner.query("DEALLOCATE ALL");
    }
  });

  it("lets the cross-tenant role (database.system) see every tenant, and only it", async () => {
    const tenants = await server.database.system.prisma.tenant.findMany({ where: { id: { in: [a.tenant.id, b.tenant.id] } } });
    expect(tenants).toHaveLength(2);
    const { rows } = await app.query<{ bypass: boolean; superuser: boolean }>(`SELECT rolbypassrls AS bypass, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user`);
    expect(rows).toEqual([{ bypass: false, superuser: false }]);
  });
});
