// SLA speed: `node bench/sla.ts` (also `npm run bench:sla`; SLA_BENCH_TICKETS to change the size).
// Starts an embedded PostgreSQL and the API with its workers (`node src/server.ts`), seeds one
// tenant with 1,000,000 tickets (bench/seed.ts), gives the unsolved ones (about a tenth) an SLA and
// a nextBreachAt as the SLA module would (first reply 1-24 h by priority after creation), then:
//  1. GET /v1/tickets?sort=nextBreachAt (25 a page), 300 first pages and 300 pages followed by
//     cursor (20 deep), and with breachBefore: p50/p95 over HTTP (keep-alive). Target p95 ≤ 20 ms.
//  2. 10,000 timers due at the same moment (SlaTimer rows, as ticket changes plan them, due 5 s
//     after they are written): the time from their due moment to each sla.breached event's commit,
//     polled every 10 ms; target: all 10,000 within 1 s of due.
import crypto from "node:crypto";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { json, PASSWORD, signUpBench, startApiServer, startBenchDatabase, type ApiServer } from "./api-server.ts";
import { seedTickets } from "./seed.ts";
import type { QueryOf } from "../src/core/contract-types.ts";
import { listingSql } from "./explain.ts";

/** The first statement the listing sends for this query (its real text), EXPLAINed as the application's role under row-level security. */
async function explainFirst(sql: pg.Client, tenantId: string, userId: string, query: QueryOf<"listTickets">): Promise<string> {
  const { text, values } = await listingSql({ kind: "user", tenantId, userId, role: "admin", sessionId: crypto.randomUUID() }, query);
  await sql.query("BEGIN");
  try {
    await sql.query("SET LOCAL ROLE docket_app");
    await sql.query("SELECT set_config('docket.tenant_id', $1, true)", [tenantId]);
    const { rows } = await sql.query<{ "QUERY PLAN": string }>(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, values);
    return rows.map((row) => `    ${row["QUERY PLAN"]}`).join("\n");
  } finally {
    await sql.query("ROLLBACK");
  }
}

const TICKETS = Number(process.env.SLA_BENCH_TICKETS ?? 1_000_000);
const SORT_SAMPLES = 300;
const DEEP_PAGES = 20;
const TIMERS = 10_000;

const progress = (message: string) => process.stderr.write(`${message}\n`);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const sortedCopy = (values: number[]) => [...values].sort((a, b) => a - b);
const ms = (value: number) => `${value.toFixed(1)} ms`;
const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");

async function main() {
  const database = await startBenchDatabase("sla", 56800);
  let server: ApiServer | undefined;
  const sql = new pg.Client({ connectionString: database.url });
  try {
    await sql.connect();
    server = await startApiServer({ databaseUrl: database.url, dataDir: path.join(database.workDir, "data"), nodeEnv: "development", fromPort: 56900 });
    const base = server.base;
    const signup = await signUpBench(base);
    const tenantId = signup.tenant.id;
    const admin = { authorization: `Bearer ${signup.accessToken}`, "content-type": "application/json" };
    const policy = await json<{ id: string }>(
      await fetch(`${base}/v1/sla-policies`, {
        method: "POST",
        headers: admin,
        body: JSON.stringify({ name: "Standard", targets: { urgent: { firstReply: { minutes: 60 } }, high: { firstReply: { minutes: 240 } }, normal: { firstReply: { minutes: 480 } }, low: { firstReply: { minutes: 1440 } } } }),
      }),
      201,
    );

    progress(`seeding ${TICKETS.toLocaleString("en-US")} tickets…`);
    const seeded = await seedTickets(sql, { tenantId, requesterId: signup.user.id, count: TICKETS, onProgress: (done) => progress(`  ${done.toLocaleString("en-US")}`) });
    // The unsolved tickets' SLA as the module leaves it: the policy's first-reply target counted from creation.
    const { rowCount: withSla } = await sql.query(
      `UPDATE "Ticket" t SET "slaPolicyId" = $2::uuid, "nextBreachAt" = t."createdAt" + make_interval(mins => m.minutes),
              sla = jsonb_build_object('policyId', $2::text, 'scheduleId', NULL, 'targets', jsonb_build_object('firstReply', jsonb_build_object('minutes', m.minutes)),
                                       'warningMinutes', 15, 'status', t.status, 'matched', jsonb_build_object('priority', t.priority, 'type', t.type, 'channel', t.channel, 'tags', to_jsonb(t.tags)),
                                       'facts', jsonb_build_array(jsonb_build_object('at', (extract(epoch FROM t."createdAt") * 1000)::bigint, 'kind', 'created', 'status', 'open')))
         FROM (VALUES ('urgent', 60), ('high', 240), ('normal', 480), ('low', 1440)) m(priority, minutes)
        WHERE t."tenantId" = $1::uuid AND t.priority::text = m.priority AND t.status IN ('open', 'pending', 'on_hold')`,
      [tenantId, policy.id],
    );
    await sql.query(`VACUUM (ANALYZE) "Ticket"`);
    progress(`seeded in ${(seeded.insertMs / 1000).toFixed(0)} s; ${withSla?.toLocaleString("en-US")} unsolved tickets with an SLA`);
    // Seeding outlasts an access token: log in again.
    const login = await json<{ accessToken: string }>(
      await fetch(`${base}/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ tenantSlug: "bench", email: "bench@bench.test", password: PASSWORD }) }),
      200,
    );
    admin.authorization = `Bearer ${login.accessToken}`;

    // 1. The list sorted by nextBreachAt.
    const timed = async (url: string) => {
      const started = performance.now();
      const page = await json<{ data: unknown[]; nextCursor: string | null }>(await fetch(url, { headers: admin }), 200);
      return { elapsed: performance.now() - started, page };
    };
    for (let i = 0; i < 20; i++) await timed(`${base}/v1/tickets?sort=nextBreachAt`); // warm-up
    const first: number[] = [];
    for (let i = 0; i < SORT_SAMPLES; i++) first.push((await timed(`${base}/v1/tickets?sort=nextBreachAt`)).elapsed);
    const deep: number[] = [];
    for (let run = 0; deep.length < SORT_SAMPLES; run++) {
      let cursor: string | null = null;
      for (let page = 0; page < DEEP_PAGES && deep.length < SORT_SAMPLES; page++) {
        const result = await timed(`${base}/v1/tickets?sort=-nextBreachAt${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
        deep.push(result.elapsed);
        cursor = result.page.nextCursor;
      }
    }
    const before = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const plain: number[] = [];
    for (let i = 0; i < SORT_SAMPLES; i++) plain.push((await timed(`${base}/v1/tickets`)).elapsed);
    const plan = await explainFirst(sql, tenantId, signup.user.id, { sort: "nextBreachAt" });
    const filtered: number[] = [];
    for (let i = 0; i < SORT_SAMPLES; i++) filtered.push((await timed(`${base}/v1/tickets?sort=nextBreachAt&breachBefore=${before}`)).elapsed);

    // 2. 10,000 timers due at once, on tickets whose SLA they belong to (revision 0 is theirs).
    const { rows: due } = await sql.query<{ due: Date }>(
      `WITH chosen AS (SELECT id FROM "Ticket" WHERE "tenantId" = $1::uuid AND "slaPolicyId" IS NOT NULL AND "deletedAt" IS NULL LIMIT $2)
       INSERT INTO "SlaTimer" ("tenantId", id, "ticketId", metric, kind, cycle, revision, "dueAt", "breachAt")
       SELECT $1::uuid, gen_random_uuid(), id, 'firstReply', 'breach', 1, 0, date_trunc('milliseconds', clock_timestamp()) + interval '5 seconds', date_trunc('milliseconds', clock_timestamp()) + interval '5 seconds'
         FROM chosen RETURNING "dueAt" AS due`,
      [tenantId, TIMERS],
    );
    const dueAt = due[0]!.due;
    const planted = due.length;
    const seen: { at: number; count: number }[] = [];
    for (;;) {
      const { rows } = await sql.query<{ now: Date; count: number }>(`SELECT clock_timestamp() AS now, count(*)::int AS count FROM "Event" WHERE "tenantId" = $1 AND type = 'sla.breached'`, [tenantId]);
      seen.push({ at: rows[0]!.now.getTime(), count: rows[0]!.count });
      if (rows[0]!.count >= planted || rows[0]!.now.getTime() > dueAt.getTime() + 30_000) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const firstSeen = seen.find((sample) => sample.count > 0);
    const allSeen = seen.find((sample) => sample.count >= planted);
    const fired = seen.at(-1)!.count;
    const allLag = allSeen ? allSeen.at - dueAt.getTime() : Number.POSITIVE_INFINITY;

    const firstSorted = sortedCopy(first);
    const deepSorted = sortedCopy(deep);
    const filteredSorted = sortedCopy(filtered);
    console.log(
      [
        `SLA (${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? "?"}), ${TICKETS.toLocaleString("en-US")} tickets (${seeded.tableSize} table, ${seeded.indexesSize} indexes), ${withSla?.toLocaleString("en-US")} with a nextBreachAt; API with workers in one process`,
        `  GET /v1/tickets?sort=nextBreachAt, first page (${SORT_SAMPLES}): p50 ${ms(percentile(firstSorted, 50))}, p95 ${ms(percentile(firstSorted, 95))}  (target p95 ≤ 20 ms: ${verdict(percentile(firstSorted, 95) <= 20)})`,
        `  sort=-nextBreachAt, ${DEEP_PAGES} pages deep by cursor (${SORT_SAMPLES}): p50 ${ms(percentile(deepSorted, 50))}, p95 ${ms(percentile(deepSorted, 95))}  (target p95 ≤ 20 ms: ${verdict(percentile(deepSorted, 95) <= 20)})`,
        `  sort=nextBreachAt&breachBefore (${SORT_SAMPLES}): p50 ${ms(percentile(filteredSorted, 50))}, p95 ${ms(percentile(filteredSorted, 95))}`,
        `  for comparison, GET /v1/tickets (newest first, ${SORT_SAMPLES}): p50 ${ms(percentile(sortedCopy(plain), 50))}, p95 ${ms(percentile(sortedCopy(plain), 95))}`,
        `  the sorted page's statement, as docket_app under row-level security:`,
        plan,
        `  ${planted.toLocaleString("en-US")} timers due at once: first sla.breached committed ${firstSeen ? ms(firstSeen.at - dueAt.getTime()) : "never"} after due, ` +
          `all ${allSeen ? ms(allLag) : `not within 30 s (${fired} fired)`} after due  (target ≤ 1000 ms: ${verdict(allLag <= 1000 && planted >= TIMERS)})`,
      ].join("\n"),
    );
  } finally {
    await sql.end().catch(() => {});
    await server?.child.stop();
    await database.stop();
  }
}

await main();
