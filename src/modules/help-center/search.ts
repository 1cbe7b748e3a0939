// Full-text search of published articles, one locale at a time: the locale picks the text search
// configuration (docket_text_search_config in the help_center migration: its language's stemming,
// `simple` when PostgreSQL has none), the same one the article's generated vector was built with.
// Ranked by relevance, title over body; the snippet (ts_headline) is computed for the page's rows
// only, since it re-parses each body.
import type { Db } from "../../db/client.ts";
import { Prisma } from "../../generated/prisma/client.ts";
import { decodeCursor, encodeCursor } from "../../core/cursor.ts";
import { MATCH_START, MATCH_STOP, snippetHtml, toSummary, type PublishedRecord } from "./representation.ts";
import type { Schemas } from "../../core/contract-types.ts";
import type { TermStats } from "./term-stats.ts";

export type SearchHit = Schemas["HelpCenterSearchHit"];

export interface ArticleFilters {
  sectionId?: string;
  categoryId?: string;
  label?: string;
}

/** Passed as a parameter: ts_headline reads its options from text. Markers are escaped later (snippetHtml). */
const HEADLINE_OPTIONS = `StartSel="${MATCH_START}", StopSel="${MATCH_STOP}", MaxWords=35, MinWords=15, MaxFragments=2, FragmentDelimiter=" … "`;
/**
 * Ranking reads every candidate's vector, so ranking all matches costs what the matches cost: a
 * word in half of 10,000 articles took ten times a rare one's time. Only the most popular matches
 * are ranked (the popular index walks them for common words, the GIN index finds rare ones), so a
 * search costs about the same whatever it matches; an article past them is one a reader finds by
 * adding a word, as with Zendesk's search, which also stops at 1,000 results.
 */
const RANKED_CANDIDATES = 300;
/** A suggestion searches by the text's rarest words in the help center, this many at most. */
const SUGGESTION_WORDS = 8;
/** Until the locale's words are counted (term-stats.ts), by this many of the text's words. */
const UNCOUNTED_SUGGESTION_WORDS = 16;

export const PUBLISHED_COLUMNS = Prisma.sql`a."tenantId", a.id, a."sectionId", a."translationGroupId", a.locale, a.title, a.body, a.labels, a."authorId",
  a.promoted, a.outdated, a.position, a."publishedTitle", a."publishedBody", a."publishedAt", a."draftUpdatedAt", a."viewCount", a."helpfulCount",
  a."notHelpfulCount", a."createdAt", a."updatedAt"`;

/** Conditions on articles `a` for the filters; the tenant's always first. */
export function filterConditions(tenantId: string, filters: ArticleFilters): Prisma.Sql[] {
  const where = [Prisma.sql`a."tenantId" = ${tenantId}::uuid`];
  if (filters.sectionId) where.push(Prisma.sql`a."sectionId" = ${filters.sectionId}::uuid`);
  if (filters.categoryId) {
    where.push(Prisma.sql`a."sectionId" IN (SELECT s.id FROM "HelpCenterSection" s WHERE s."tenantId" = ${tenantId}::uuid AND s."categoryId" = ${filters.categoryId}::uuid)`);
  }
  if (filters.label) where.push(Prisma.sql`a.labels @> ARRAY[${filters.label.toLowerCase()}]::text[]`);
  return where;
}

type HitRow = PublishedRecord & { rank: number; headline: string };

function toHit(row: HitRow): SearchHit {
  return { ...toSummary(row), snippet: snippetHtml(row.headline) };
}

/**
 * The matching published articles of `locale`, best first, a page at a time. `query` is SQL that
 * yields the tsquery (the web-search parse of what was typed, or a suggestion's any-word query).
 */
async function ranked(db: Db, tenantId: string, locale: string, query: Prisma.Sql, filters: ArticleFilters, limit: number, cursor: string | undefined, rank: Prisma.Sql) {
  const after = decodeCursor(cursor, ["number", "uuid"] as const);
  const where = [...filterConditions(tenantId, filters), Prisma.sql`a.locale = ${locale}`, Prisma.sql`a."publishedAt" IS NOT NULL`, Prisma.sql`a."searchVector" @@ ${query}`];
  // The tsquery is written out where it is used, not computed once in a CTE: as an expression of
  // constants the planner folds it and estimates its matches from the column's statistics, and
  // so walks the popular index for a common word instead of reading all its matches.
  const rows = await db.$queryRaw<HitRow[]>`
    WITH candidates AS (SELECT a.id, a."searchVector" FROM "HelpCenterArticle" a WHERE ${Prisma.join(where, " AND ")}
                    ORDER BY a."viewCount" + 10 * a."helpfulCount" DESC, a."publishedAt" DESC, a.id DESC LIMIT ${RANKED_CANDIDATES}),
    hits AS (SELECT c.id, ${rank}(c."searchVector", ${query}) AS rank FROM candidates c),
    page AS (SELECT hits.*, row_number() OVER (ORDER BY hits.rank DESC, hits.id DESC) AS n
               FROM hits ${after ? Prisma.sql`WHERE (hits.rank, hits.id) < (${after[0]}::real, ${after[1]}::uuid)` : Prisma.empty}
              ORDER BY hits.rank DESC, hits.id DESC LIMIT ${limit + 1})
    SELECT ${PUBLISHED_COLUMNS}, page.rank,
           CASE WHEN page.n <= ${limit} THEN ts_headline(docket_text_search_config(a.locale), a."publishedBody", ${query}, ${HEADLINE_OPTIONS}) END AS headline
      FROM page JOIN "HelpCenterArticle" a ON a."tenantId" = ${tenantId}::uuid AND a.id = page.id
     ORDER BY page.rank DESC, page.id DESC`;
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return { data: data.map(toHit), nextCursor: rows.length > limit && last ? encodeCursor([Number(last.rank), last.id]) : null };
}

/** What a reader typed, in web-search syntax (words, "phrases", -excluded, or): every word must match. */
export function searchArticles(db: Db, tenantId: string, input: { q: string; locale: string; limit: number; cursor?: string } & ArticleFilters) {
  const query = Prisma.sql`websearch_to_tsquery(docket_text_search_config(${input.locale}), ${input.q})`;
  return ranked(db, tenantId, input.locale, query, input, input.limit, input.cursor, Prisma.raw("ts_rank_cd"));
}

/** A lexeme as tsquery input: quoted, so it is taken as it is (not parsed or stemmed again). */
function quotedLexeme(lexeme: string): string {
  return `'${lexeme.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

/**
 * Articles that may answer a text (a ticket, what a visitor is typing): any of its words may match,
 * and those matching more of them, and more often, rank first (ts_rank: cover density would favour
 * the few articles holding the words close together, which a long text rarely has). Only its
 * rarest words in the help center are searched for: they say what the text is about, and a query
 * of its common ones would match, and rank, nearly every article.
 */
export async function suggestArticles(db: Db, stats: TermStats, tenantId: string, input: { text: string; locale: string; limit: number }): Promise<SearchHit[]> {
  // The text's distinct lexemes in the locale's configuration (stop words dropped).
  const [words] = await db.$queryRaw<{ lexemes: string[] | null }[]>`
    SELECT array_agg(lexeme) AS lexemes FROM unnest(to_tsvector(docket_text_search_config(${input.locale}), ${input.text}))`;
  const frequencies = stats.documentFrequencies(tenantId, input.locale);
  let lexemes = words?.lexemes ?? [];
  if (frequencies) {
    lexemes = lexemes
      .filter((lexeme) => (frequencies.get(lexeme) ?? 0) > 0)
      .sort((a, b) => frequencies.get(a)! - frequencies.get(b)!)
      .slice(0, SUGGESTION_WORDS);
  } else {
    lexemes = lexemes.slice(0, UNCOUNTED_SUGGESTION_WORDS);
  }
  if (lexemes.length === 0) return [];
  const query = Prisma.sql`${lexemes.map(quotedLexeme).join(" | ")}::tsquery`;
  const { data } = await ranked(db, tenantId, input.locale, query, {}, input.limit, undefined, Prisma.raw("ts_rank"));
  return data;
}

/** The most read and most helpful published articles of one locale (a helpful vote weighs ten views). */
export async function popularArticles(db: Db, tenantId: string, locale: string, limit: number) {
  const rows = await db.$queryRaw<PublishedRecord[]>`
    SELECT ${PUBLISHED_COLUMNS} FROM "HelpCenterArticle" a
     WHERE a."tenantId" = ${tenantId}::uuid AND a.locale = ${locale} AND a."publishedAt" IS NOT NULL
     ORDER BY a."viewCount" + 10 * a."helpfulCount" DESC, a."publishedAt" DESC, a.id DESC LIMIT ${limit}`;
  return rows.map(toSummary);
}
