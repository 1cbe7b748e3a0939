// node bench/rls-queries.ts : what row-level security costs one query, in isolation from HTTP.
//
// One embedded PostgreSQL, migrated, one tenant seeded with 20,000 tickets (and a second tenant).
// The API's hot read (GET /v1/tickets/{id}'s prepared statement, with the caller's unread count) and a
// one-row insert are timed, one at a time, through:
//   owner      a plain pool as DATABASE_URL's role (a superuser: policies do not apply), as before;
//   policy only  a plain pool acting as docket_app with the setting made once: the database's share;
//   app        the application's pool (docket_app, the tenant in scope): what requests do now;
//   switching  the same, two tenants alternating, so nearly every checkout rewrites the setting
//              (sent with the query, not a round trip of its own): many tenants sharing a pool;
//   switching, 2 connections  the same on a pool with two idle connections, where a hand-out
//              prefers the connection that already holds its tenant (src/db/client.ts).
// Blocks of each alternate, so a busy machine weighs on all alike; medians of the blocks are shown.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../src/db/embedded.ts";
import { migrate } from "../src/db/migrate.ts";
import { connectDatabase } from "../src/db/client.ts";
import { tenantScope } from "../src/db/tenant-scope.ts";
import { TICKET_BY_ID } from "../src/modules/tickets/service.ts";
import { freePort } from "./processes.ts";
import { seedTickets } from "./seed.ts";
import { table } from "./report.ts";

const BLOCKS = 30;
const PER_BLOCK = 300;
const progress = (message: string) => process.stderr.write(`[rls-queries ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const work = fs.mkdtempSync(path.join(os.tmpdir(), "docket-rls-queries-"));
const database = await startEmbeddedPostgres({ dataDir: work, port: await freePort(31600) });
const stops: Array<() => Promise<unknown>> = [async () => fs.rmSync(work, { recursive: true, force: true }), () => database.stop()];
try {
  await migrate(database.url);
  const owner = new pg.Pool({ connectionString: database.url, max: 1 });
  stops.push(() => owner.end());
  const tenant = async (slug: string) => {
    const { rows } = await owner.query<{ id: string }>(`INSERT INTO "Tenant" (id, slug, name, "updatedAt") VALUES (gen_random_uuid(), $1, $1, now()) RETURNING id`, [slug]);
    const user = await owner.query<{ id: string }>(
      `INSERT INTO "User" ("tenantId", id, email, name, role, "passwordHash", "updatedAt") VALUES ($1, gen_random_uuid(), 'a@example.test', 'A', 'admin', 'x', now()) RETURNING id`,
      [rows[0]!.id],
    );
    return { id: rows[0]!.id, userId: user.rows[0]!.id };
  };
  const a = await tenant("rls-a");
  const b = await tenant("rls-b");
  progress("seeding");
  for (const [t, count] of [[a, 20_000], [b, 5_000]] as const) {
    const seeding = new pg.Client({ connectionString: database.url });
    await seeding.connect();
    await seedTickets(seeding, { tenantId: t.id, requesterId: t.userId, count });
    await seeding.end();
  }
  const ids = async (tenantId: string) =>
    (await owner.query<{ id: string }>(`SELECT id FROM "Ticket" WHERE "tenantId" = $1 ORDER BY random() LIMIT 4000`, [tenantId])).rows.map((row) => row.id);
  const idsOf = { [a.id]: await ids(a.id), [b.id]: await ids(b.id) };
  const readerOf = { [a.id]: a.userId, [b.id]: b.userId };
  const app = connectDatabase(database.url, { poolSize: 1 });
  stops.push(() => app.close());
  const app2 = connectDatabase(database.url, { poolSize: 2 });
  stops.push(() => app2.close());
  // Two connections open and idle, as a pool under load has.
  await Promise.all([a.id, b.id].map((t) => tenantScope.run(t, () => app2.pool.query("SELECT pg_sleep(0.05)"))));
  // The role and the setting alone, without the application's pool wrapper: the database's share.
  const role = new pg.Pool({ connectionString: database.url, max: 1, options: "-c role=docket_app" });
  role.on("connect", (client) => void client.query(`SELECT set_config('docket.tenant_id', $1, false)`, [a.id]));
  stops.push(() => role.end());

  const read = (pool: pg.Pool, tenantId: string, i: number) =>
    pool.query({ name: "ticket-by-id", text: TICKET_BY_ID, values: [tenantId, idsOf[tenantId]![i % 4000], readerOf[tenantId], true] });
  const write = (pool: pg.Pool, tenantId: string) =>
    pool.query({
      name: "event-insert",
      text: `INSERT INTO "Event" ("tenantId", id, type, "actorType", "entityType", "entityId") VALUES ($1, gen_random_uuid(), 'bench.rls', 'system', 'bench', gen_random_uuid())`,
      values: [tenantId],
    });
  type Variant = { name: string; run: (i: number) => Promise<unknown> };
  const cases: Array<{ label: string; variants: Variant[] }> = [
    {
      label: "read: ticket by id",
      variants: [
        { name: "owner", run: (i) => read(owner, a.id, i) },
        { name: "policy only", run: (i) => read(role, a.id, i) },
        { name: "app", run: (i) => tenantScope.run(a.id, () => read(app.pool, a.id, i)) },
        { name: "switching", run: (i) => { const t = i % 2 === 0 ? a.id : b.id; return tenantScope.run(t, () => read(app.pool, t, i)); } },
        { name: "switching, 2 connections", run: (i) => { const t = i % 2 === 0 ? a.id : b.id; return tenantScope.run(t, () => read(app2.pool, t, i)); } },
      ],
    },
    {
      label: "write: one-row insert",
      variants: [
        { name: "owner", run: () => write(owner, a.id) },
        { name: "app", run: () => tenantScope.run(a.id, () => write(app.pool, a.id)) },
        { name: "switching", run: (i) => { const t = i % 2 === 0 ? a.id : b.id; return tenantScope.run(t, () => write(app.pool, t)); } },
        { name: "switching, 2 connections", run: (i) => { const t = i % 2 === 0 ? a.id : b.id; return tenantScope.run(t, () => write(app2.pool, t)); } },
      ],
    },
  ];
  const rows: Array<Array<string | number>> = [];
  for (const { label, variants } of cases) {
    const blocks = new Map<string, number[]>(variants.map((v) => [v.name, []]));
    progress(label);
    for (const v of variants) for (let i = 0; i < 200; i++) await v.run(i); // warm-up: plans, caches
    for (let block = 0; block < BLOCKS; block++) {
      for (const v of variants) {
        const startedAt = performance.now();
        for (let i = 0; i < PER_BLOCK; i++) await v.run(block * PER_BLOCK + i);
        blocks.get(v.name)!.push(((performance.now() - startedAt) * 1000) / PER_BLOCK);
      }
    }
    const median = (xs: number[]) => xs.toSorted((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const base = median(blocks.get("owner")!);
    for (const v of variants) {
      const us = median(blocks.get(v.name)!);
      rows.push([label, v.name, Math.round(us), v.name === "owner" ? "" : `${us >= base ? "+" : ""}${(((us - base) / base) * 100).toFixed(1)} %`]);
    }
  }
  process.stdout.write(`\n${BLOCKS} alternating blocks of ${PER_BLOCK} sequential queries each, one connection (two where named); medians\n`);
  process.stdout.write(table(["query", "as", "µs per query", "vs owner"], rows) + "\n");
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => {});
}
