// GET /v1/tickets: filters, full-text search and keyset pagination in one SQL statement. Each sort
// has an index leading with (tenantId, sort key), and the cursor is the last row's sort key, so a
// page deep in the list costs what the first does, and rows inserted meanwhile neither shift nor
// repeat what the client has seen. Written in SQL (not Prisma) for row-value comparisons, which
// PostgreSQL turns into one index range scan.
import type { Database } from "../../db/client.ts";
import { Prisma } from "../../generated/prisma/client.ts";
import type { TenantPrincipal } from "../../core/principal.ts";
import type { QueryOf, Schemas } from "../../core/contract-types.ts";
import { decodeCursor, encodeCursor } from "../../core/cursor.ts";
import { isDateTime } from "../../core/formats.ts";
import { problems } from "../../core/problem.ts";
import { toTicketForCaller, type TicketRecord } from "./representation.ts";
import { unreadJoin } from "./unread.ts";

type Query = QueryOf<"listTickets">;
const PRIORITIES: readonly string[] = ["low", "normal", "high", "urgent"];
type Row = TicketRecord & { unreadCount: number };
type SortKey = "createdAt" | "updatedAt" | "priority" | "number" | "relevance" | "nextBreachAt";

const COLUMNS = Prisma.sql`t."tenantId", t.id, t.number, t.title, t.description, t.status, t.priority, t.type, t.channel,
  t."requesterId", t."assigneeId", t."groupId", t.tags, t."dueAt", t.metadata, t.version, t."createdAt", t."updatedAt",
  t."firstResponseAt", t."solvedAt", t."closedAt", t."deletedAt", t.sla, t."nextBreachAt"`;

interface Sort {
  key: SortKey;
  descending: boolean;
}

function sortOf(query: Query): Sort {
  if (!query.sort) return query.q ? { key: "relevance", descending: true } : { key: "createdAt", descending: true };
  const descending = query.sort.startsWith("-");
  return { key: query.sort.replace(/^-/, "") as SortKey, descending };
}

/** The ORDER BY, the row's cursor key, and the condition "after this cursor", per sort. */
function ordering(sort: Sort, cursor: string | undefined) {
  const direction = sort.descending ? Prisma.sql`DESC` : Prisma.sql`ASC`;
  const after = sort.descending ? Prisma.sql`<` : Prisma.sql`>`;
  const tag = `${sort.key}${sort.descending ? "-" : "+"}`;
  switch (sort.key) {
    case "createdAt":
    case "updatedAt": {
      const column = Prisma.raw(`t."${sort.key}"`);
      const key = decodeCursor(cursor, ["string", "timestamp", "uuid"] as const);
      return {
        orderBy: Prisma.sql`${column} ${direction}, t.id ${direction}`,
        keyOf: (row: TicketRecord & { rank?: number }) => [tag, row[sort.key as "createdAt"].toISOString(), row.id],
        condition: key && checkTag(key[0], tag) ? Prisma.sql`(${column}, t.id) ${after} (${key[1]}::timestamptz, ${key[2]}::uuid)` : undefined,
      };
    }
    case "number": {
      const key = decodeCursor(cursor, ["string", "number"] as const);
      return {
        orderBy: Prisma.sql`t.number ${direction}`,
        keyOf: (row: TicketRecord) => [tag, row.number],
        condition: key && checkTag(key[0], tag) ? Prisma.sql`t.number ${after} ${key[1]}` : undefined,
      };
    }
    case "priority": {
      const key = decodeCursor(cursor, ["string", "string", "number"] as const);
      if (key && !PRIORITIES.includes(key[1])) throw problems.invalidParameter("cursor", "is not a cursor this list issued; pass nextCursor from the previous page");
      return {
        orderBy: Prisma.sql`t.priority ${direction}, t.number ${direction}`,
        keyOf: (row: TicketRecord) => [tag, row.priority, row.number],
        condition: key && checkTag(key[0], tag) ? Prisma.sql`(t.priority, t.number) ${after} (${key[1]}::"TicketPriority", ${key[2]})` : undefined,
      };
    }
    case "relevance": {
      const key = decodeCursor(cursor, ["string", "number", "uuid"] as const);
      return {
        orderBy: Prisma.empty, // searchByRelevance orders the ranked candidates itself
        keyOf: (row: TicketRecord & { rank?: number }) => [tag, row.rank ?? 0, row.id],
        // Applied to the ranked candidates, not to tickets (see searchByRelevance).
        condition: key && checkTag(key[0], tag) ? Prisma.sql`(c.rank, c.id) < (${key[1]}::real, ${key[2]}::uuid)` : undefined,
      };
    }
    case "nextBreachAt":
      throw new Error("sorted by listByNextBreach");
  }
}

/** A cursor carries its sort; one from another sort cannot be continued. */
function checkTag(cursorTag: string, tag: string): true {
  if (cursorTag !== tag) throw problems.invalidParameter("cursor", `belongs to another sort order (${cursorTag.slice(0, -1)}); start again without it`);
  return true;
}

function filters(principal: TenantPrincipal, query: Query): Prisma.Sql[] {
  const where: Prisma.Sql[] = [Prisma.sql`t."tenantId" = ${principal.tenantId}::uuid`];
  if (query.deleted) {
    if (principal.role !== "admin") throw problems.forbidden("Only admins list deleted tickets.");
    where.push(Prisma.sql`t."deletedAt" IS NOT NULL`);
  } else {
    where.push(Prisma.sql`t."deletedAt" IS NULL`);
  }
  if (principal.role === "user") where.push(Prisma.sql`t."requesterId" = ${principal.userId}::uuid`);
  if (query.status?.length) where.push(Prisma.sql`t.status = ANY(${query.status}::"TicketStatus"[])`);
  if (query.priority?.length) where.push(Prisma.sql`t.priority = ANY(${query.priority}::"TicketPriority"[])`);
  if (query.assigneeId === "none") where.push(Prisma.sql`t."assigneeId" IS NULL`);
  else if (query.assigneeId) where.push(Prisma.sql`t."assigneeId" = ${query.assigneeId === "me" ? principal.userId : query.assigneeId}::uuid`);
  if (query.requesterId) where.push(Prisma.sql`t."requesterId" = ${query.requesterId === "me" ? principal.userId : query.requesterId}::uuid`);
  if (query.tag) where.push(Prisma.sql`t.tags @> ARRAY[${query.tag.toLowerCase()}]::text[]`);
  if (query.type) where.push(Prisma.sql`t.type = ${query.type}::"TicketType"`);
  if (query.createdAfter) where.push(Prisma.sql`t."createdAt" >= ${query.createdAfter}::timestamptz`);
  if (query.createdBefore) where.push(Prisma.sql`t."createdAt" < ${query.createdBefore}::timestamptz`);
  if (query.updatedAfter) where.push(Prisma.sql`t."updatedAt" >= ${query.updatedAfter}::timestamptz`);
  if (query.updatedBefore) where.push(Prisma.sql`t."updatedAt" < ${query.updatedBefore}::timestamptz`);
  if (query.breachBefore) {
    if (principal.role === "user") throw problems.forbidden("SLA clocks are for staff; breachBefore is not available to requesters.");
    where.push(Prisma.sql`t."nextBreachAt" < ${query.breachBefore}::timestamptz`);
  }
  return where;
}

/**
 * A ticket matches a search by its own vector (title, description) or by one of its public,
 * undeleted comments: each comment has its own vector, NULL unless public and live (see the
 * comment_search_vectors migration), so internal and deleted words never match. Expects the
 * tsquery as `query`.
 */
const MATCHES_OWN = Prisma.sql`t."searchVector" @@ query`;
const MATCHES_A_COMMENT = Prisma.sql`EXISTS (SELECT 1 FROM "Comment" cm WHERE cm."tenantId" = t."tenantId" AND cm."ticketId" = t.id AND cm."searchVector" @@ query)`;

/**
 * Relevance ranking reads every candidate's search vector, so ranking all matches costs what the
 * matches cost: 0.4 s for a word in 10% of a million tickets. Only the newest matches are ranked,
 * and only the page's rows are read in full. Zendesk's and GitHub's search APIs stop at 1,000
 * results too; sorting by a field walks every match.
 */
const RELEVANCE_CANDIDATES = 1000;

/**
 * The search index is keyed by the bucket of a ticket's number as well as by word (the
 * ticket_search_buckets migration: GIN on ((number >> 14), "searchVector")), so one index probe
 * finds a word's matches among 16,384 consecutive tickets. The newest matches are read a bucket at
 * a time, newest first, until there are enough: about the same rows whatever the tenant's size
 * (a 1 % word: 8 buckets at 1,000,000 tickets, all 7 at 100,000). A word too rare to fill them
 * from the newest NEWEST_BUCKETS buckets is looked up in the rest by the word alone, which for such
 * a word is few rows. Numbers are given in creation order, so the highest are the newest.
 */
const SEARCH_BUCKET_BITS = 14;
const NEWEST_BUCKETS = 16;

async function searchByRelevance(db: Database, where: Prisma.Sql[], after: Prisma.Sql | undefined, tenantId: string, q: string, limit: number, unread: Prisma.Sql) {
  const bits = Prisma.raw(String(SEARCH_BUCKET_BITS));
  const query = Prisma.sql`websearch_to_tsquery('english', ${q}) query`;
  const conditions = Prisma.join(where, " AND ");
  // The newest matches by the ticket's own words, bucket by bucket (the nested loop yields the
  // buckets in generate_series' order, each sorted, so LIMIT keeps the newest); then, only if
  // those were too few, the older ones by the word alone (MATERIALIZED without an order: a bitmap
  // of the word's matches, not a walk down the number index); and the newest tickets with
  // matching public comments. A ticket in both keeps its comment flag: only those tickets are
  // looked up in Comment when ranked (a candidate with matching comments is always among the
  // newest of those). Ranked by the ticket's own rank plus its matching comments' (weight C).
  return db.$queryRaw<(Row & { rank: number })[]>`
    WITH top AS (SELECT max(t.number) >> ${bits} AS bucket FROM "Ticket" t WHERE t."tenantId" = ${tenantId}::uuid),
    newest AS MATERIALIZED (
      SELECT m.* FROM generate_series((SELECT bucket FROM top), greatest((SELECT bucket FROM top) - ${NEWEST_BUCKETS - 1}, 0), -1) b
      CROSS JOIN LATERAL (
        SELECT t.id, t.number, t."searchVector" AS vector FROM ${query}, "Ticket" t
         WHERE ${conditions} AND (t.number >> ${bits}) = b AND t."searchVector" @@ query ORDER BY t.number DESC) m
      LIMIT ${RELEVANCE_CANDIDATES}
    ), older AS MATERIALIZED (
      SELECT t.id, t.number, t."searchVector" AS vector FROM ${query}, "Ticket" t
       WHERE ${conditions} AND t."searchVector" @@ query
         AND t.number < ((SELECT bucket FROM top) - ${NEWEST_BUCKETS - 1}) << ${bits} AND (SELECT count(*) FROM newest) < ${RELEVANCE_CANDIDATES}
    ), commented AS MATERIALIZED (
      SELECT t.id, t.number, t."searchVector" AS vector FROM ${query}, "Ticket" t
       WHERE ${conditions} AND ${MATCHES_A_COMMENT} ORDER BY t.number DESC LIMIT ${RELEVANCE_CANDIDATES}
    ), recent AS (
      SELECT DISTINCT ON (m.number) m.id, m.vector, m.commented FROM (
        SELECT *, false AS commented FROM newest UNION ALL SELECT *, false FROM older UNION ALL SELECT *, true FROM commented) m
       ORDER BY m.number DESC, m.commented DESC LIMIT ${RELEVANCE_CANDIDATES}
    ), candidates AS (
      SELECT r.id, ts_rank_cd(r.vector, query) + CASE WHEN r.commented THEN COALESCE((
               SELECT sum(ts_rank_cd(cm."searchVector", query)) FROM "Comment" cm
                WHERE cm."tenantId" = ${tenantId}::uuid AND cm."ticketId" = r.id AND cm."searchVector" @@ query), 0) ELSE 0 END AS rank
        FROM ${query}, recent r
    ), page AS (
      SELECT c.id, c.rank FROM candidates c ${after ? Prisma.sql`WHERE ${after}` : Prisma.empty} ORDER BY c.rank DESC, c.id DESC LIMIT ${limit + 1}
    )
    SELECT ${COLUMNS}, page.rank, unread."unreadCount" FROM page JOIN "Ticket" t ON t."tenantId" = ${tenantId}::uuid AND t.id = page.id ${unread}
     ORDER BY page.rank DESC, page.id DESC`;
}

/**
 * Sorted by nextBreachAt: the tickets that have one, then those that do not. Each part is one range
 * of the (tenantId, nextBreachAt, id) index, so a page costs the same at any depth; the second is
 * read only when the first runs out within the page.
 */
async function listByNextBreach(db: Database, where: Prisma.Sql[], sort: Sort, cursor: string | undefined, limit: number, unread: Prisma.Sql): Promise<Row[]> {
  const direction = sort.descending ? Prisma.sql`DESC` : Prisma.sql`ASC`;
  const after = sort.descending ? Prisma.sql`<` : Prisma.sql`>`;
  const tag = `${sort.key}${sort.descending ? "-" : "+"}`;
  const key = decodeCursor(cursor, ["string", "string", "uuid"] as const);
  if (key) checkTag(key[0], tag);
  if (key && key[1] !== "" && !isDateTime(key[1])) throw problems.invalidParameter("cursor", "is not a cursor this list issued; pass nextCursor from the previous page");
  const page = (conditions: Prisma.Sql[], orderBy: Prisma.Sql, take: number) => db.$queryRaw<Row[]>`
    WITH page AS (SELECT ${COLUMNS} FROM "Ticket" t WHERE ${Prisma.join([...where, ...conditions], " AND ")} ORDER BY ${orderBy} LIMIT ${take})
    SELECT t.*, unread."unreadCount" FROM page t ${unread} ORDER BY ${orderBy}`;
  const rows: Row[] = [];
  if (!key || key[1] !== "") {
    const range = key ? [Prisma.sql`(t."nextBreachAt", t.id) ${after} (${key[1]}::timestamptz, ${key[2]}::uuid)`] : [];
    rows.push(...(await page([Prisma.sql`t."nextBreachAt" IS NOT NULL`, ...range], Prisma.sql`t."nextBreachAt" ${direction}, t.id ${direction}`, limit + 1)));
  }
  if (rows.length <= limit) {
    const range = key && key[1] === "" ? [Prisma.sql`t.id ${after} ${key[2]}::uuid`] : [];
    rows.push(...(await page([Prisma.sql`t."nextBreachAt" IS NULL`, ...range], Prisma.sql`t.id ${direction}`, limit + 1 - rows.length)));
  }
  return rows;
}

/** The FROM clause, and the search condition added to `where`, for `q` (none: every ticket). */
function searchSource(q: string | undefined, where: Prisma.Sql[]): Prisma.Sql {
  if (!q) return Prisma.sql`FROM "Ticket" t`;
  where.push(Prisma.sql`(${MATCHES_OWN} OR ${MATCHES_A_COMMENT})`);
  // websearch_to_tsquery understands what people type: words, "phrases", -exclusions, or.
  return Prisma.sql`FROM "Ticket" t, websearch_to_tsquery('english', ${q}) query`;
}

/**
 * Every ticket the list shows for these filters and role, in the list's sort order (with `q`,
 * every match in that order, not the 1,000 best ranked): one statement, no page, no cursor, no
 * reader's unread counts. What GET /v1/tickets/export streams, so an export holds exactly the
 * list's tickets (selecting `columns` of each ticket `t`: the export's finished lines). Throws the
 * list's 403 and 400s.
 */
export function selectListedTickets(principal: TenantPrincipal, query: Omit<Query, "limit" | "cursor">, columns: Prisma.Sql = COLUMNS): Prisma.Sql {
  const sort: Sort = query.sort ? sortOf(query) : { key: "createdAt", descending: true };
  if (sort.key === "nextBreachAt" && principal.role === "user") throw problems.forbidden("SLA clocks are for staff; sort by nextBreachAt is not available to requesters.");
  const { orderBy } = ordering(sort, undefined);
  const where = filters(principal, query);
  const from = searchSource(query.q, where);
  return Prisma.sql`SELECT ${columns} ${from} WHERE ${Prisma.join(where, " AND ")} ORDER BY ${orderBy}`;
}

/** The page as the contract shows it (without SLA clocks, which the service adds for staff), and its rows. */
export async function listTickets(db: Database, principal: TenantPrincipal, query: Query): Promise<{ page: Schemas["TicketList"]; rows: Row[] }> {
  const limit = query.limit ?? 25;
  const sort = sortOf(query);
  if (sort.key === "relevance" && !query.q) throw problems.invalidParameter("sort", "relevance needs q");
  if (sort.key === "nextBreachAt" && principal.role === "user") throw problems.forbidden("SLA clocks are for staff; sort by nextBreachAt is not available to requesters.");
  const where = filters(principal, query);
  const unread = unreadJoin(principal);
  if (sort.key === "nextBreachAt") {
    if (query.q) where.push(Prisma.sql`EXISTS (SELECT 1 FROM websearch_to_tsquery('english', ${query.q}) query WHERE ${MATCHES_OWN} OR ${MATCHES_A_COMMENT})`);
    const rows = await listByNextBreach(db, where, sort, query.cursor, limit, unread);
    const data = rows.slice(0, limit);
    const last = data.at(-1);
    const tag = `${sort.key}${sort.descending ? "-" : "+"}`;
    return {
      page: { data: data.map(toTicketForCaller), nextCursor: rows.length > limit && last ? encodeCursor([tag, last.nextBreachAt?.toISOString() ?? "", last.id]) : null },
      rows: data,
    };
  }
  const { orderBy, keyOf, condition } = ordering(sort, query.cursor);
  let rows: (Row & { rank?: number })[];
  if (sort.key === "relevance") {
    rows = await searchByRelevance(db, where, condition, principal.tenantId, query.q!, limit, unread);
  } else {
    if (condition) where.push(condition);
    const from = searchSource(query.q, where);
    // The page first, then the reader's unread count for its rows only (see unread.ts).
    rows = await db.$queryRaw`WITH page AS (SELECT ${COLUMNS} ${from} WHERE ${Prisma.join(where, " AND ")} ORDER BY ${orderBy} LIMIT ${limit + 1})
      SELECT t.*, unread."unreadCount" FROM page t ${unread} ORDER BY ${orderBy}`;
  }
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return {
    page: { data: data.map(toTicketForCaller), nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last) as (string | number)[]) : null },
    rows: data,
  };
}
