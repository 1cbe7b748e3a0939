// Seeding one tenant with N tickets in bulk SQL, and choosing search words of known frequency.
// Tickets are written as the API would leave them: numbers 1..N, ids uuidv7 of their creation
// time, creation spread over two years (older tickets mostly solved or closed), the search vector
// filled by the table's own BEFORE INSERT trigger, and the tenant's counter moved to N.
import type pg from "pg";
import { COMMON, FEATURES, INTEGRATIONS, TAGS } from "./words.ts";

const SPAN_SECONDS = 730 * 86_400;

// Session-local helpers (pg_temp): they vanish with the seeding connection and touch no schema.
const HELPERS = [
  // A uuidv7 of the given time (PostgreSQL 18's uuidv7(interval) does the same, but 15 lacks it): the
  // millisecond timestamp over a random v4's first 48 bits, and the version bits 0100 → 0111.
  `CREATE FUNCTION pg_temp.bench_uuidv7(at timestamptz) RETURNS uuid LANGUAGE sql VOLATILE AS $$
     SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
       PLACING substring(int8send(floor(extract(epoch FROM at) * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
   $$`,
  `CREATE FUNCTION pg_temp.bench_words(words text[], n int) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
   DECLARE
     l int := cardinality(words);
     lnl float8 := ln(cardinality(words) + 1);
     parts text[] := '{}';
   BEGIN
     -- log-uniform rank: P(rank k) = ln((k+1)/k) / ln(l+1), a Zipf law of exponent 1
     FOR i IN 1..n LOOP
       parts := parts || words[least(l, floor(exp(random() * lnl))::int)];
     END LOOP;
     RETURN array_to_string(parts, ' ');
   END $$`,
  `CREATE FUNCTION pg_temp.bench_sentence(words text[], n int) RETURNS text LANGUAGE sql VOLATILE AS $$
     SELECT upper(left(s, 1)) || substr(s, 2) FROM pg_temp.bench_words(words, n) s
   $$`,
  `CREATE FUNCTION pg_temp.bench_description(words text[], features text[], integrations text[]) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
   DECLARE
     parts text[] := '{}';
   BEGIN
     FOR i IN 1..(2 + floor(random() * 4)::int) LOOP
       parts := parts || (pg_temp.bench_sentence(words, 5 + floor(random() * 8)::int) || '.');
     END LOOP;
     IF random() < 0.4 THEN parts := parts || ('Area: ' || features[1 + floor(random() * cardinality(features))::int] || '.'); END IF;
     IF random() < 0.1 THEN parts := parts || ('Using ' || integrations[1 + floor(random() * cardinality(integrations))::int] || '.'); END IF;
     RETURN array_to_string(parts, ' ');
   END $$`,
];

// $1 tenant, $2 requester (the admin), $3..$4 the numbers of this batch, $5 N, $6 seconds per
// ticket, $7 common words, $8 features, $9 integrations, $10 tags.
const INSERT_BATCH = `
INSERT INTO "Ticket" ("tenantId", id, number, title, description, status, priority, type, channel, "requesterId",
  "assigneeId", tags, "dueAt", version, "createdAt", "updatedAt", "firstResponseAt", "solvedAt", "closedAt", "deletedAt")
SELECT $1::uuid, pg_temp.bench_uuidv7(b.created), b.g,
       pg_temp.bench_sentence($7::text[], 3 + floor(random() * 6)::int),
       pg_temp.bench_description($7::text[], $8::text[], $9::text[]),
       s.status::"TicketStatus",
       (CASE WHEN b.rp < 0.20 THEN 'low' WHEN b.rp < 0.75 THEN 'normal' WHEN b.rp < 0.95 THEN 'high' ELSE 'urgent' END)::"TicketPriority",
       (CASE WHEN b.rt < 0.20 THEN NULL ELSE (ARRAY['question', 'incident', 'problem', 'task'])[1 + floor(random() * 4)::int] END)::"TicketType",
       (CASE WHEN b.rc < 0.40 THEN 'email' WHEN b.rc < 0.65 THEN 'web' WHEN b.rc < 0.80 THEN 'api' WHEN b.rc < 0.95 THEN 'chat' ELSE 'phone' END)::"TicketChannel",
       $2::uuid,
       CASE WHEN s.status <> 'open' OR random() < 0.3 THEN $2::uuid END,
       CASE WHEN b.rg < 0.30 THEN ARRAY[($10::text[])[1 + floor(random() * cardinality($10::text[]))::int]] ELSE '{}'::text[] END,
       CASE WHEN b.rg > 0.80 THEN b.created + interval '3 days' END,
       CASE WHEN s.status = 'open' THEN 1 ELSE 2 + floor(random() * 4)::int END,
       b.created, s.updated,
       CASE WHEN s.status <> 'open' THEN b.created + random() * (s.updated - b.created) END,
       CASE WHEN s.status IN ('solved', 'closed') THEN b.created + (s.updated - b.created) / 2 END,
       CASE WHEN s.status = 'closed' THEN s.updated END,
       CASE WHEN b.rd < 0.002 THEN s.updated END
  FROM generate_series($3::int, $4::int) g
 CROSS JOIN LATERAL (
   SELECT g, now() - make_interval(secs => ($5::int - g + random()) * $6::float8) AS created,
          random() AS rs, random() AS rp, random() AS rt, random() AS rc, random() AS rg, random() AS rd
   OFFSET 0) b
 CROSS JOIN LATERAL (
   SELECT CASE
            WHEN b.g > $5::int * 0.97 THEN
              CASE WHEN b.rs < 0.45 THEN 'open' WHEN b.rs < 0.70 THEN 'pending' WHEN b.rs < 0.80 THEN 'on_hold' WHEN b.rs < 0.95 THEN 'solved' ELSE 'closed' END
            ELSE
              CASE WHEN b.rs < 0.70 THEN 'closed' WHEN b.rs < 0.90 THEN 'solved' WHEN b.rs < 0.95 THEN 'open' WHEN b.rs < 0.98 THEN 'pending' ELSE 'on_hold' END
          END AS status,
          least(now(), b.created + random() ^ 3 * interval '14 days') AS updated
   OFFSET 0) s`;

export interface SeedTimings {
  insertMs: number;
  vacuumMs: number;
  tableSize: string;
  indexesSize: string;
}

export async function seedTickets(
  client: pg.Client,
  options: { tenantId: string; requesterId: string; count: number; batchSize?: number; onProgress?: (done: number) => void },
): Promise<SeedTimings> {
  const { tenantId, requesterId, count } = options;
  const batchSize = options.batchSize ?? 50_000;
  // Only this session: bulk loading does not wait for WAL flushes, and builds in memory.
  await client.query("SET synchronous_commit = off");
  await client.query("SET maintenance_work_mem = '512MB'");
  for (const helper of HELPERS) await client.query(helper);
  const startedAt = performance.now();
  for (let from = 1; from <= count; from += batchSize) {
    const to = Math.min(count, from + batchSize - 1);
    await client.query(INSERT_BATCH, [tenantId, requesterId, from, to, count, SPAN_SECONDS / count, COMMON, FEATURES, INTEGRATIONS, TAGS]);
    options.onProgress?.(to);
  }
  await client.query(`UPDATE "Tenant" SET "lastTicketNumber" = $2 WHERE id = $1`, [tenantId, count]);
  const insertMs = performance.now() - startedAt;
  const vacuumStartedAt = performance.now();
  // VACUUM as well as ANALYZE: sets hint bits and the visibility map now, as a table in steady
  // state has them, instead of leaving that to the first reads and to autovacuum mid-benchmark.
  await client.query(`VACUUM (ANALYZE) "Ticket"`);
  await client.query("CHECKPOINT");
  const vacuumMs = performance.now() - vacuumStartedAt;
  const { rows } = await client.query<{ table: string; indexes: string }>(
    `SELECT pg_size_pretty(pg_table_size('"Ticket"')) AS table, pg_size_pretty(pg_indexes_size('"Ticket"')) AS indexes`,
  );
  return { insertMs, vacuumMs, tableSize: rows[0]!.table, indexesSize: rows[0]!.indexes };
}

export interface SearchWord {
  label: string;
  word: string;
  /** Live tickets of the tenant that match, and their fraction of all live tickets. */
  matches: number;
  fraction: number;
}

/**
 * Vocabulary words whose share of tickets is nearest each target share: estimated on a sample
 * of ~20,000 tickets with ts_stat, then counted exactly with the listing's own predicate.
 */
export async function pickSearchWords(client: pg.Client, tenantId: string, targets: { label: string; fraction: number }[]): Promise<SearchWord[]> {
  const { rows: totals } = await client.query<{ live: number }>(`SELECT count(*)::int AS live FROM "Ticket" WHERE "tenantId" = $1 AND "deletedAt" IS NULL`, [tenantId]);
  const live = totals[0]!.live;
  const vocabulary = [...COMMON, ...FEATURES, ...INTEGRATIONS];
  const { rows: lexemes } = await client.query<{ word: string; lexeme: string }>(
    `SELECT w AS word, trim(both '''' from plainto_tsquery('english', w)::text) AS lexeme FROM unnest($1::text[]) w`,
    [vocabulary],
  );
  const samplePercent = Math.min(100, (20_000 / live) * 100);
  if (!/^[0-9a-f-]{36}$/.test(tenantId)) throw new Error(`unexpected tenant id ${tenantId}`);
  const { rows: stats } = await client.query<{ word: string; ndoc: number; sampled: number }>(
    `SELECT word, ndoc, (SELECT count(*)::int FROM "Ticket" TABLESAMPLE BERNOULLI (${samplePercent}) REPEATABLE (1) WHERE "tenantId" = '${tenantId}') AS sampled
       FROM ts_stat($$SELECT "searchVector" FROM "Ticket" TABLESAMPLE BERNOULLI (${samplePercent}) REPEATABLE (1) WHERE "tenantId" = '${tenantId}'$$)`,
  );
  const sampled = stats[0]?.sampled ?? 1;
  const share = new Map(stats.map((row) => [row.word, row.ndoc / sampled]));
  const picked: SearchWord[] = [];
  for (const target of targets) {
    let best: { word: string; distance: number } | undefined;
    for (const { word, lexeme } of lexemes) {
      const observed = share.get(lexeme);
      if (!observed || picked.some((p) => p.word === word)) continue;
      const distance = Math.abs(Math.log(observed / target.fraction));
      if (!best || distance < best.distance) best = { word, distance };
    }
    if (!best) throw new Error(`no vocabulary word near ${target.fraction}`);
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "Ticket" WHERE "tenantId" = $1 AND "deletedAt" IS NULL AND "searchVector" @@ websearch_to_tsquery('english', $2)`,
      [tenantId, best.word],
    );
    const matches = rows[0]!.n;
    picked.push({ label: target.label, word: best.word, matches, fraction: matches / live });
  }
  return picked;
}
