// Help-center search speed: `node bench/help-center.ts` (also `npm run bench:help-center`).
// Starts an embedded PostgreSQL and the API (`node src/server.ts`), signs up one tenant, and seeds
// it with 10,000 published articles in SQL (`--articles N` for another size): 90% English, 10%
// Portuguese (pt-BR), over 20 sections, titles and bodies in the tickets bench's Zipf-distributed
// support vocabulary (bench/words.ts), so some words are in most articles and others in a few.
// Then VACUUM (ANALYZE), and picks English search words by share of articles (~1%, ~10%, ~50%:
// articles are long, so their words are common) from ts_stat, plus a two-word query. For each, 400 requests of the public search
// (GET /v1/public/{slug}/help-center/search, no credentials, a page of 10 with snippets), one at a
// time over keep-alive after 50 of warm-up: p50/p95 of the HTTP round trip. Target p95 ≤ 20 ms.
// Beside them: the public suggestions (a ticket-long text, any word counts), the popular list, and
// GET /readyz as the server's floor on this machine, and each search's statement alone (the search
// module's own query on a connection of its own, no HTTP). A machine shared with other work measures
// slower than it is: read the floor with the figures.
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { json, signUpBench, startApiServer, startBenchDatabase, type ApiServer } from "./api-server.ts";
import { randomTicketBody, TAGS } from "./words.ts";
import { connectDatabase } from "../src/db/client.ts";
import { tenantScope } from "../src/db/tenant-scope.ts";
import { searchArticles } from "../src/modules/help-center/search.ts";

const argument = (name: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
};
const ARTICLES = Number(argument("--articles") ?? 10_000);
const SECTIONS = 20;
const SAMPLES = 400;
const WARM_UP = 50;
const TARGET_P95_MS = 20;
const SLUG = "bench";

const progress = (message: string) => process.stderr.write(`${message}\n`);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** An article's body: a few ticket-like paragraphs, so it is a few hundred words long. */
function articleText(): { title: string; body: string } {
  const paragraphs = Array.from({ length: 3 + Math.floor(Math.random() * 4) }, () => randomTicketBody().description);
  return { title: randomTicketBody().title, body: paragraphs.join("\n\n") };
}

async function seed(sql: pg.Client, tenantId: string, authorId: string, sectionIds: string[]): Promise<void> {
  const BATCH = 1_000;
  for (let start = 0; start < ARTICLES; start += BATCH) {
    const rows = Array.from({ length: Math.min(BATCH, ARTICLES - start) }, (_, i) => {
      const { title, body } = articleText();
      return {
        section: sectionIds[(start + i) % sectionIds.length]!,
        locale: (start + i) % 10 === 9 ? "pt-BR" : "en",
        title,
        body,
        labels: `{${TAGS[Math.floor(Math.random() * TAGS.length)]}}`,
        position: start + i,
      };
    });
    await sql.query(
      `INSERT INTO "HelpCenterArticle" ("tenantId", id, "sectionId", "translationGroupId", locale, title, body, labels, "authorId", position,
                                       "publishedTitle", "publishedBody", "publishedAt", "viewCount", "helpfulCount", "updatedAt")
       SELECT $1, gen_random_uuid(), s, gen_random_uuid(), l, t, b, lb::text[], $2, p, t, b, now() - random() * interval '365 days',
              floor(random() * 1000)::int, floor(random() * 50)::int, now()
         FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[]) AS r(s, l, t, b, lb, p)`,
      [tenantId, authorId, rows.map((r) => r.section), rows.map((r) => r.locale), rows.map((r) => r.title), rows.map((r) => r.body), rows.map((r) => r.labels), rows.map((r) => r.position)],
    );
  }
}

/** English words whose share of English articles is closest to each target. */
async function pickWords(sql: pg.Client, tenantId: string, targets: number[]): Promise<Array<{ word: string; articles: number }>> {
  const { rows } = await sql.query<{ word: string; ndoc: number }>(
    `SELECT word, ndoc FROM ts_stat(format('SELECT "searchVector" FROM "HelpCenterArticle" WHERE "tenantId" = %L AND locale = %L', $1::text, 'en'))
      WHERE length(word) > 3`,
    [tenantId],
  );
  const english = Math.round(ARTICLES * 0.9);
  return targets.map((share) => {
    const best = rows.reduce((a, b) => (Math.abs(b.ndoc - share * english) < Math.abs(a.ndoc - share * english) ? b : a));
    return { word: best.word, articles: best.ndoc };
  });
}

async function measure(send: () => Promise<Response>): Promise<{ p50: number; p95: number; max: number }> {
  return measureCalls(async () => {
    await json(await send(), 200);
  });
}

async function measureCalls(call: () => Promise<unknown>): Promise<{ p50: number; p95: number; max: number }> {
  for (let n = 0; n < WARM_UP; n++) await call();
  const latencies: number[] = [];
  for (let n = 0; n < SAMPLES; n++) {
    const at = performance.now();
    await call();
    latencies.push(performance.now() - at);
  }
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: latencies.at(-1)! };
}

async function main() {
  const database = await startBenchDatabase("help-center", 56800);
  let server: ApiServer | undefined;
  try {
    server = await startApiServer({ databaseUrl: database.url, dataDir: path.join(database.workDir, "data"), nodeEnv: "production", fromPort: 56900 });
    const base = server.base;
    const signup = await signUpBench(base, SLUG);
    const admin = { authorization: `Bearer ${signup.accessToken}`, "content-type": "application/json" };
    const category = await json<{ id: string }>(await fetch(`${base}/v1/help-center/categories`, { method: "POST", headers: admin, body: JSON.stringify({ name: "Everything" }) }), 201);
    const sectionIds: string[] = [];
    for (let n = 0; n < SECTIONS; n++) {
      const created = await json<{ id: string }>(
        await fetch(`${base}/v1/help-center/sections`, { method: "POST", headers: admin, body: JSON.stringify({ categoryId: category.id, name: `Section ${n + 1}` }) }),
        201,
      );
      sectionIds.push(created.id);
    }

    progress(`seeding ${ARTICLES.toLocaleString("en-US")} published articles`);
    const sql = new pg.Client({ connectionString: database.url });
    await sql.connect();
    const seededAt = performance.now();
    await seed(sql, signup.tenant.id, signup.user.id, sectionIds);
    await sql.query(`VACUUM (ANALYZE) "HelpCenterArticle"`);
    await sql.query("CHECKPOINT");
    progress(`seeded in ${((performance.now() - seededAt) / 1000).toFixed(1)} s`);
    const words = await pickWords(sql, signup.tenant.id, [0.01, 0.1, 0.5]);
    await sql.end();

    const publicBase = `${base}/v1/public/${SLUG}/help-center`;
    const rows: Array<{ what: string; result: { p50: number; p95: number; max: number }; target: boolean }> = [];
    for (const { word, articles } of words) {
      progress(`search "${word}" (${articles} articles)`);
      rows.push({ what: `search "${word}" (in ${articles} articles)`, result: await measure(() => fetch(`${publicBase}/search?q=${encodeURIComponent(word)}&locale=en&limit=10`)), target: true });
    }
    const pair = `${words[0]!.word} ${words[2]!.word}`;
    progress(`search "${pair}"`);
    rows.push({ what: `search "${pair}" (both words)`, result: await measure(() => fetch(`${publicBase}/search?q=${encodeURIComponent(pair)}&locale=en&limit=10`)), target: true });
    const filtered = `${publicBase}/search?q=${encodeURIComponent(words[1]!.word)}&locale=en&limit=10&categoryId=${category.id}&label=${TAGS[0]}`;
    progress("search with category and label filters");
    rows.push({ what: `search "${words[1]!.word}", category and label filters`, result: await measure(() => fetch(filtered)), target: true });

    // The search's statement alone, as the service sends it (same module, the application's role
    // under row-level security), without HTTP: the database's share of each round trip.
    const direct = connectDatabase(database.url, { poolSize: 2 });
    try {
      for (const { word, articles } of words) {
        progress(`statement alone: "${word}"`);
        const input = { q: word, locale: "en", limit: 10 };
        rows.push({
          what: `  its statement alone: "${word}" (${articles})`,
          result: await measureCalls(() => tenantScope.run(signup.tenant.id, () => searchArticles(direct.prisma, signup.tenant.id, input))),
          target: false,
        });
      }
    } finally {
      await direct.close();
    }

    const ticketText = `${randomTicketBody().title}\n${randomTicketBody().description} ${randomTicketBody().description}`;
    progress("suggestions");
    rows.push({
      what: "suggestions for a ticket-long text (any word)",
      result: await measure(() => fetch(`${publicBase}/suggestions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text: ticketText, limit: 5 }) })),
      target: false,
    });
    progress("popular");
    rows.push({ what: "popular articles (en, 10)", result: await measure(() => fetch(`${publicBase}/articles/popular?locale=en&limit=10`)), target: false });
    progress("floor");
    rows.push({ what: "GET /readyz (the server's floor)", result: await measure(() => fetch(`${base}/readyz`)), target: false });

    const ms = (value: number) => `${value.toFixed(1)} ms`;
    const verdict = (row: (typeof rows)[number]) => (row.target ? (row.result.p95 <= TARGET_P95_MS ? "PASS" : "FAIL") : "");
    const width = Math.max(...rows.map((row) => row.what.length));
    console.log(
      [
        `Help-center search at ${ARTICLES.toLocaleString("en-US")} published articles (${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? "?"}), ` +
          `HTTP round trips one at a time, ${SAMPLES} each; target p95 ≤ ${TARGET_P95_MS} ms`,
        ...rows.map((row) => `  ${row.what.padEnd(width)}  p50 ${ms(row.result.p50).padStart(8)}  p95 ${ms(row.result.p95).padStart(8)}  max ${ms(row.result.max).padStart(8)}  ${verdict(row)}`),
      ].join("\n"),
    );
  } finally {
    await server?.child.stop();
    await database.stop();
  }
}

await main();
