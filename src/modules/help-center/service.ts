// The help center: categories → sections → articles, each article a draft and (once published) a
// published version, in one locale, linked to its translations. Staff (admins, agents) write and
// see drafts; a `user` reads published articles through the same API; anyone reads them through
// the public API by tenant slug (./public.ts). Every change appends its event in its transaction.
import crypto from "node:crypto";
import type { Database, Db } from "../../db/client.ts";
import { isUniqueViolation } from "../../db/errors.ts";
import { Prisma, type HelpCenterVoteValue } from "../../generated/prisma/client.ts";
import { appendEvent, changedFields, contextOf, type RequestContext } from "../../events/event-log.ts";
import type { TenantPrincipal } from "../../core/principal.ts";
import type { QueryOf, Schemas } from "../../core/contract-types.ts";
import { decodeCursor, encodeCursor, page } from "../../core/cursor.ts";
import { requireLocale } from "../../core/locale.ts";
import { problems } from "../../core/problem.ts";
import type { TicketService } from "../tickets/service.ts";
import { checkCanWrite, seesDrafts } from "./policy.ts";
import {
  articleFacts,
  isPublished,
  MATCH_START,
  MATCH_STOP,
  toArticle,
  toArticleAsPublished,
  toCategory,
  toPublicArticle,
  toSection,
  type Article,
  type ArticleRecord,
  type PublishedRecord,
  type Translation,
} from "./representation.ts";
import { filterConditions, popularArticles, PUBLISHED_COLUMNS, searchArticles, suggestArticles, type ArticleFilters } from "./search.ts";
import type { ViewCounter } from "./view-counter.ts";
import type { TermStats } from "./term-stats.ts";

export const DEFAULT_LOCALE = "en";
const DEFAULT_LIMIT = 25;
/** A search's page: each match's snippet is computed from its body, so a page is small. */
const SEARCH_LIMIT = 10;

/** Who votes: a user of the tenant, or an anonymous visitor by the id its client keeps. */
export type Voter = { kind: "user"; principal: TenantPrincipal } | { kind: "visitor"; visitorId: string };

/** Which articles a reader may see: staff every one, everyone else the published ones, as published. */
export type Audience = "staff" | "published";

function normaliseLabels(labels: readonly string[]): string[] {
  return [...new Set(labels.map((label) => label.trim().toLowerCase()).filter((label) => label !== ""))];
}

/** The snippet's match markers may not appear in what staff write (see snippetHtml). */
function clean(text: string): string {
  return text.replaceAll(MATCH_START, "").replaceAll(MATCH_STOP, "");
}

/** Keyset pagination on (position, id), the order of categories and sections. */
function positionKeyset(cursor: string | undefined) {
  const after = decodeCursor(cursor, ["number", "uuid"] as const);
  return {
    where: after ? { OR: [{ position: { gt: after[0] } }, { position: after[0], id: { gt: after[1] } }] } : {},
    orderBy: [{ position: "asc" as const }, { id: "asc" as const }],
    page: <T extends { position: number; id: string }>(rows: T[], limit: number) => page(rows, limit, (row) => [row.position, row.id]),
  };
}

async function checkCategory(db: Db, tenantId: string, categoryId: string, pointer: string): Promise<void> {
  const found = await db.helpCenterCategory.findUnique({ where: { tenantId_id: { tenantId, id: categoryId } }, select: { id: true } });
  if (!found) throw problems.invalidField(pointer, "is not a category of this help center");
}

async function checkSection(db: Db, tenantId: string, sectionId: string, pointer: string): Promise<void> {
  const found = await db.helpCenterSection.findUnique({ where: { tenantId_id: { tenantId, id: sectionId } }, select: { id: true } });
  if (!found) throw problems.invalidField(pointer, "is not a section of this help center");
}

/** An article row locked for the rest of the transaction, or a 404: read and locked in one round trip. */
async function lockArticle(tx: Db, tenantId: string, articleId: string): Promise<ArticleRecord> {
  const [row] = await tx.$queryRaw<ArticleRecord[]>`
    SELECT ${PUBLISHED_COLUMNS} FROM "HelpCenterArticle" a WHERE a."tenantId" = ${tenantId}::uuid AND a.id = ${articleId}::uuid FOR UPDATE`;
  if (!row) throw problems.notFound("article", articleId);
  return row;
}

/** Each article's other locales (published ones only, for a published audience). */
async function translationsOf(db: Db, tenantId: string, rows: readonly ArticleRecord[], audience: Audience): Promise<Map<string, Translation[]>> {
  const groups = [...new Set(rows.map((row) => row.translationGroupId))];
  const members =
    groups.length === 0
      ? []
      : await db.helpCenterArticle.findMany({
          where: { tenantId, translationGroupId: { in: groups }, ...(audience === "published" ? { publishedAt: { not: null } } : {}) },
          select: { id: true, locale: true, translationGroupId: true },
          orderBy: { locale: "asc" },
        });
  return new Map(rows.map((row) => [row.id, members.filter((m) => m.translationGroupId === row.translationGroupId && m.id !== row.id).map(({ id, locale }) => ({ id, locale }))]));
}

function presentFor(audience: Audience) {
  return (row: ArticleRecord, translations: Translation[]): Article =>
    audience === "staff" ? toArticle(row, translations) : toArticleAsPublished(row as PublishedRecord, translations);
}

export interface ArticleListQuery extends ArticleFilters {
  limit?: number;
  cursor?: string;
  locale?: string;
  status?: "draft" | "published";
}

/** Articles in their reading order: promoted first, then by position. */
async function listArticleRows(db: Db, tenantId: string, audience: Audience, query: ArticleListQuery) {
  const limit = query.limit ?? DEFAULT_LIMIT;
  const where = filterConditions(tenantId, query);
  if (query.locale) where.push(Prisma.sql`a.locale = ${requireLocale(query.locale, { parameter: "locale" })}`);
  const status = audience === "published" ? "published" : query.status;
  if (status === "published") where.push(Prisma.sql`a."publishedAt" IS NOT NULL`);
  if (status === "draft") where.push(Prisma.sql`a."publishedAt" IS NULL`);
  const after = decodeCursor(query.cursor, ["number", "number", "uuid"] as const);
  if (after) where.push(Prisma.sql`(NOT a.promoted, a.position, a.id) > (${after[0] === 1}, ${after[1]}::int, ${after[2]}::uuid)`);
  const rows = await db.$queryRaw<ArticleRecord[]>`
    SELECT ${PUBLISHED_COLUMNS} FROM "HelpCenterArticle" a WHERE ${Prisma.join(where, " AND ")}
     ORDER BY NOT a.promoted, a.position, a.id LIMIT ${limit + 1}`;
  return page(rows, limit, (row) => [row.promoted ? 0 : 1, row.position, row.id]);
}

export interface HelpCenterServiceDeps {
  db: Database;
  tickets: TicketService;
  views: ViewCounter;
  terms: TermStats;
}

export function createHelpCenterService({ db, tickets, views, terms }: HelpCenterServiceDeps) {
  const audienceOf = (principal: TenantPrincipal): Audience => (seesDrafts(principal) ? "staff" : "published");

  /** An article this audience may see, or a 404 exactly like a missing one. */
  async function visibleArticle(tenantId: string, articleId: string, audience: Audience): Promise<ArticleRecord> {
    const row = await db.helpCenterArticle.findUnique({ where: { tenantId_id: { tenantId, id: articleId } } });
    if (!row || (audience === "published" && !isPublished(row))) throw problems.notFound("article", articleId);
    return row;
  }

  async function presentOne(tx: Db, tenantId: string, row: ArticleRecord, audience: Audience = "staff"): Promise<Article> {
    return presentFor(audience)(row, (await translationsOf(tx, tenantId, [row], audience)).get(row.id) ?? []);
  }

  async function articleEvent(tx: Db, context: RequestContext, tenantId: string, type: "article.created" | "article.published" | "article.unpublished" | "article.deleted", row: ArticleRecord) {
    const facts = articleFacts(row);
    await appendEvent(tx, context, { tenantId, type, entity: { type: "article", id: row.id }, ...(type === "article.deleted" ? { before: facts } : { after: facts }) });
  }

  return {
    // ---- categories
    async listCategories(tenantId: string, query: { limit?: number; cursor?: string }): Promise<Schemas["HelpCenterCategoryList"]> {
      const keyset = positionKeyset(query.cursor);
      const limit = query.limit ?? DEFAULT_LIMIT;
      const rows = await db.helpCenterCategory.findMany({ where: { tenantId, ...keyset.where }, orderBy: keyset.orderBy, take: limit + 1 });
      const result = keyset.page(rows, limit);
      return { data: result.data.map(toCategory), nextCursor: result.nextCursor };
    },

    async getCategory(tenantId: string, categoryId: string) {
      const row = await db.helpCenterCategory.findUnique({ where: { tenantId_id: { tenantId, id: categoryId } } });
      if (!row) throw problems.notFound("category", categoryId);
      return toCategory(row);
    },

    async createCategory(principal: TenantPrincipal, input: Schemas["HelpCenterCategoryCreate"], requestId?: string) {
      checkCanWrite(principal);
      const tenantId = principal.tenantId;
      return db.$transaction(async (tx) => {
        const row = await tx.helpCenterCategory.create({ data: { tenantId, name: input.name, description: input.description ?? "", position: input.position ?? 0 } });
        const category = toCategory(row);
        await appendEvent(tx, contextOf(principal, requestId), { tenantId, type: "help_center_category.created", entity: { type: "help_center_category", id: row.id }, after: category });
        return category;
      });
    },

    async updateCategory(principal: TenantPrincipal, categoryId: string, change: Schemas["HelpCenterCategoryUpdate"], requestId?: string) {
      checkCanWrite(principal);
      const tenantId = principal.tenantId;
      return db.$transaction(async (tx) => {
        const current = await tx.helpCenterCategory.findUnique({ where: { tenantId_id: { tenantId, id: categoryId } } });
        if (!current) throw problems.notFound("category", categoryId);
        const row = await tx.helpCenterCategory.update({ where: { tenantId_id: { tenantId, id: categoryId } }, data: change });
        const diff = changedFields(toCategory(current), toCategory(row));
        if (Object.keys(diff.after).length > 0) {
          await appendEvent(tx, contextOf(principal, requestId), { tenantId, type: "help_center_category.updated", entity: { type: "help_center_category", id: row.id }, ...diff });
        }
        return toCategory(row);
      });
    },

    async deleteCategory(principal: TenantPrincipal, categoryId: string, requestId?: string): Promise<void> {
      checkCanWrite(principal);
      const tenantId = principal.tenantId;
      await db.$transaction(async (tx) => {
        const current = await tx.helpCenterCategory.findUnique({ where: { tenantId_id: { tenantId, id: categoryId } } });
        if (!current) throw problems.notFound("category", categoryId);
        const sections = await tx.helpCenterSection.count({ where: { tenantId, categoryId } });
        if (sections > 0) throw problems.conflict("category_not_empty", `This category still has ${sections} section${sections === 1 ? "" : "s"}; move or delete them first.`);
        await tx.helpCenterCategory.delete({ where: { tenantId_id: { tenantId, id: categoryId } } });
        await appendEvent(tx, contextOf(principal, requestId), { tenantId, type: "help_center_category.deleted", entity: { type: "help_center_category", id: categoryId }, before: toCategory(current) });
      });
    },

    // ---- sections
    async listSections(tenantId: string, query: { limit?: number; cursor?: string; categoryId?: string }): Promise<Schemas["HelpCenterSectionList"]> {
      const keyset = positionKeyset(query.cursor);
      const limit = query.limit ?? DEFAULT_LIMIT;
      const rows = await db.helpCenterSection.findMany({
        where: { tenantId, ...(query.categoryId ? { categoryId: query.categoryId } : {}), ...keyset.where },
        orderBy: keyset.orderBy,
        take: limit + 1,
      });
      const result = keyset.page(rows, limit);
      return { data: result.data.map(toSection), nextCursor: result.nextCursor };
    },

    async getSection(tenantId: string, sectionId: string) {
      const row = await db.helpCenterSection.findUnique({ where: { tenantId_id: { tenantId, id: sectionId } } });
      if (!row) throw problems.notFound("section", sectionId);
      return toSection(row);
    },

    async createSection(principal: TenantPrincipal, input: Schemas["HelpCenterSectionCreate"], requestId?: string) {
      checkCanWrite(principal);
      const tenantId = principal.tenantId;
      return db.$transaction(async (tx) => {
        await checkCategory(tx, tenantId, input.categoryId, "/categoryId");
        const row = await tx.helpCenterSection.create({
          data: { tenantId, categoryId: input.categoryId, name: input.name, description: input.description ?? "", position: input.position ?? 0 },
        });
        const section = toSection(row);
        await appendEvent(tx, contextOf(principal, requestId), { tenantId, type: "help_center_section.created", entity: { type: "help_center_section", id: row.id }, after: section });
        return section;
      });
    },

    async updateSection(principal: TenantPrincipal, sectionId: string, change: Schemas["HelpCenterSectionUpdate"], requestId?: string) {
      checkCanWrite(principal);
      const tenantId = principal.tenantId;
      return db.$transaction(async (tx) => {
        const current = await tx.helpCenterSection.findUnique({ where: { tenantId_id: { tenantId, id: sectionId } } });
        if (!current) throw problems.notFound("section", sectionId);
        if (change.categoryId !== undefined && change.categoryId !== current.categoryId) await checkCategory(tx, tenantId, change.categoryId, "/categoryId");
        const row = await tx.helpCenterSection.update({ where: { tenantId_id: { tenantId, id: sectionId } }, data: change });
        const diff = changedFields(toSection(current), toSection(row));
        if (Object.keys(diff.after).length > 0) {
          await appendEvent(tx, contextOf(principal, requestId), { tenantId, type: "help_center_section.updated", entity: { type: "help_center_section", id: row.id }, ...diff });
        }
        return toSection(row);
      });
    },

    async deleteSection(principal: TenantPrincipal, sectionId: string, requestId?: string): Promise<void> {
      checkCanWrite(principal);
      const tenantId = principal.tenantId;
      await db.$transaction(async (tx) => {
        const current = await tx.helpCenterSection.findUnique({ where: { tenantId_id: { tenantId, id: sectionId } } });
        if (!current) throw problems.notFound("section", sectionId);
        const articles = await tx.helpCenterArticle.count({ where: { tenantId, sectionId } });
        if (articles > 0) throw problems.conflict("section_not_empty", `This section still has ${articles} article${articles === 1 ? "" : "s"}; move or delete them first.`);
        await tx.helpCenterSection.delete({ where: { tenantId_id: { tenantId, id: sectionId } } });
        await appendEvent(tx, contextOf(principal, requestId), { tenantId, type: "help_center_section.deleted", entity: { type: "help_center_section", id: sectionId }, before: toSection(current) });
      });
    },

    // ---- articles
    async listArticles(principal: TenantPrincipal, query: QueryOf<"listHelpCenterArticles">): Promise<Schemas["HelpCenterArticleList"]> {
      const audience = audienceOf(principal);
      const result = await listArticleRows(db, principal.tenantId, audience, query);
      const translations = await translationsOf(db, principal.tenantId, result.data, audience);
      return { data: result.data.map((row) => presentFor(audience)(row, translations.get(row.id) ?? [])), nextCursor: result.nextCursor };
    },

    async getArticle(principal: TenantPrincipal, articleId: string): Promise<Article> {
      const audience = audienceOf(principal);
      return presentOne(db, principal.tenantId, await visibleArticle(principal.tenantId, articleId, audience), audience);
    },

    async createArticle(principal: TenantPrincipal, input: Schemas["HelpCenterArticleCreate"], requestId?: string): Promise<Article> {
      checkCanWrite(principal);
      const tenantId = principal.tenantId;
      const locale = requireLocale(input.locale, { pointer: "/locale" });
      try {
        return await db.$transaction(async (tx) => {
          let translationGroupId: string = crypto.randomUUID();
          let sectionId = input.sectionId;
          if (input.translationOf !== undefined) {
            const source = await tx.helpCenterArticle.findUnique({ where: { tenantId_id: { tenantId, id: input.translationOf } }, select: { translationGroupId: true, sectionId: true } });
            if (!source) throw problems.invalidField("/translationOf", "is not an article of this help center");
            translationGroupId = source.translationGroupId;
            sectionId ??= source.sectionId;
          }
          if (sectionId === undefined) throw problems.invalidField("/sectionId", "is required unless translationOf is given");
          await checkSection(tx, tenantId, sectionId, "/sectionId");
          const row = await tx.helpCenterArticle.create({
            data: {
              tenantId,
              sectionId,
              translationGroupId,
              locale,
              title: clean(input.title),
              body: clean(input.body),
              labels: normaliseLabels(input.labels ?? []),
              authorId: principal.userId,
              promoted: input.promoted ?? false,
              outdated: input.outdated ?? false,
              position: input.position ?? 0,
            },
          });
          await articleEvent(tx, contextOf(principal, requestId), tenantId, "article.created", row);
          return presentOne(tx, tenantId, row);
        });
      } catch (error) {
        if (isUniqueViolation(error, "locale")) throw problems.conflict("translation_exists", `This article already has a translation in ${locale}.`);
        throw error;
      }
    },

    async updateArticle(principal: TenantPrincipal, articleId: string, change: Schemas["HelpCenterArticleUpdate"], requestId?: string): Promise<Article> {
      checkCanWrite(principal);
      const tenantId = principal.tenantId;
      return db.$transaction(async (tx) => {
        const current = await lockArticle(tx, tenantId, articleId);
        if (change.sectionId !== undefined && change.sectionId !== current.sectionId) await checkSection(tx, tenantId, change.sectionId, "/sectionId");
        const wanted = {
          title: change.title === undefined ? undefined : clean(change.title),
          body: change.body === undefined ? undefined : clean(change.body),
          labels: change.labels === undefined ? undefined : normaliseLabels(change.labels),
          sectionId: change.sectionId,
          promoted: change.promoted,
          outdated: change.outdated,
          position: change.position,
        };
        const data: Record<string, unknown> = {};
        for (const [field, value] of Object.entries(wanted)) {
          if (value !== undefined && JSON.stringify(value) !== JSON.stringify(current[field as keyof typeof wanted])) data[field] = value;
        }
        const changed = Object.keys(data);
        if (changed.length === 0) return presentOne(tx, tenantId, current);
        if ("title" in data || "body" in data) data.draftUpdatedAt = new Date();
        const row = await tx.helpCenterArticle.update({ where: { tenantId_id: { tenantId, id: articleId } }, data });
        await appendEvent(tx, contextOf(principal, requestId), {
          tenantId,
          type: "article.updated",
          entity: { type: "article", id: articleId },
          before: articleFacts(current),
          after: { ...articleFacts(row), changed },
        });
        return presentOne(tx, tenantId, row);
      });
    },

    async deleteArticle(principal: TenantPrincipal, articleId: string, requestId?: string): Promise<void> {
      checkCanWrite(principal);
      const tenantId = principal.tenantId;
      await db.$transaction(async (tx) => {
        const current = await lockArticle(tx, tenantId, articleId);
        await tx.helpCenterArticle.delete({ where: { tenantId_id: { tenantId, id: articleId } } });
        await articleEvent(tx, contextOf(principal, requestId), tenantId, "article.deleted", current);
      });
    },

    /** Copies the draft to the published version; publishing an unchanged published article changes nothing. */
    async publishArticle(principal: TenantPrincipal, articleId: string, requestId?: string): Promise<Article> {
      checkCanWrite(principal);
      const tenantId = principal.tenantId;
      return db.$transaction(async (tx) => {
        const current = await lockArticle(tx, tenantId, articleId);
        if (isPublished(current) && current.publishedTitle === current.title && current.publishedBody === current.body) return presentOne(tx, tenantId, current);
        const row = await tx.helpCenterArticle.update({
          where: { tenantId_id: { tenantId, id: articleId } },
          data: { publishedTitle: current.title, publishedBody: current.body, publishedAt: new Date() },
        });
        await articleEvent(tx, contextOf(principal, requestId), tenantId, "article.published", row);
        return presentOne(tx, tenantId, row);
      });
    },

    async unpublishArticle(principal: TenantPrincipal, articleId: string, requestId?: string): Promise<Article> {
      checkCanWrite(principal);
      const tenantId = principal.tenantId;
      return db.$transaction(async (tx) => {
        const current = await lockArticle(tx, tenantId, articleId);
        if (!isPublished(current)) return presentOne(tx, tenantId, current);
        const row = await tx.helpCenterArticle.update({ where: { tenantId_id: { tenantId, id: articleId } }, data: { publishedTitle: null, publishedBody: null, publishedAt: null } });
        await articleEvent(tx, contextOf(principal, requestId), tenantId, "article.unpublished", row);
        return presentOne(tx, tenantId, row);
      });
    },

    /**
     * One vote per voter and article: the same vote again changes nothing (idempotent), the other
     * value moves the counts. The article's row lock orders concurrent votes, so the counts stay
     * equal to the votes. A vote that becomes `helpful` is an `article.helped` event.
     */
    async vote(tenantId: string, articleId: string, voter: Voter, value: HelpCenterVoteValue, requestId?: string): Promise<Schemas["HelpCenterVoteResult"]> {
      const voterKey = voter.kind === "user" ? `user:${voter.principal.userId}` : `visitor:${voter.visitorId}`;
      const context: RequestContext = voter.kind === "user" ? contextOf(voter.principal, requestId) : { actor: { type: "system" }, requestId };
      return db.$transaction(async (tx) => {
        const article = await lockArticle(tx, tenantId, articleId);
        if (!isPublished(article)) throw problems.notFound("article", articleId);
        const key = { tenantId_articleId_voter: { tenantId, articleId, voter: voterKey } };
        const previous = await tx.helpCenterVote.findUnique({ where: key, select: { value: true } });
        if (previous?.value === value) return { articleId, value, helpfulCount: article.helpfulCount, notHelpfulCount: article.notHelpfulCount };
        await tx.helpCenterVote.upsert({ where: key, create: { tenantId, articleId, voter: voterKey, value }, update: { value } });
        const delta = (which: HelpCenterVoteValue) => (value === which ? 1 : 0) - (previous?.value === which ? 1 : 0);
        const row = await tx.helpCenterArticle.update({
          where: { tenantId_id: { tenantId, id: articleId } },
          data: { helpfulCount: { increment: delta("helpful") }, notHelpfulCount: { increment: delta("not_helpful") } },
          select: { helpfulCount: true, notHelpfulCount: true },
        });
        if (value === "helpful") {
          await appendEvent(tx, context, { tenantId, type: "article.helped", entity: { type: "article", id: articleId }, after: { articleId, locale: article.locale, voter: voter.kind } });
        }
        return { articleId, value, ...row };
      });
    },

    // ---- reading, searching, suggesting
    search(tenantId: string, query: QueryOf<"searchHelpCenter">): Promise<Schemas["HelpCenterSearchResults"]> {
      const locale = requireLocale(query.locale ?? DEFAULT_LOCALE, { parameter: "locale" });
      return searchArticles(db, tenantId, { ...query, locale, limit: query.limit ?? SEARCH_LIMIT });
    },

    async suggest(tenantId: string, input: Schemas["HelpCenterSuggestRequest"]): Promise<Schemas["HelpCenterSuggestions"]> {
      const locale = requireLocale(input.locale ?? DEFAULT_LOCALE, { pointer: "/locale" });
      return { locale, data: await suggestArticles(db, terms, tenantId, { text: input.text, locale, limit: input.limit ?? 5 }) };
    },

    /** By the ticket's title and description, in its requester's language. */
    async suggestForTicket(principal: TenantPrincipal, ticketId: string, query: QueryOf<"listSuggestedArticles">): Promise<Schemas["HelpCenterSuggestions"]> {
      checkCanWrite(principal);
      const ticket = await tickets.get(principal, ticketId);
      const requester = await db.user.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id: ticket.requesterId } }, select: { locale: true } });
      const locale = requester?.locale ?? requireLocale(query.locale ?? DEFAULT_LOCALE, { parameter: "locale" });
      const text = `${ticket.title}\n${ticket.description}`;
      return { locale, data: await suggestArticles(db, terms, principal.tenantId, { text, locale, limit: query.limit ?? 5 }) };
    },

    async popular(tenantId: string, query: { locale?: string; limit?: number }): Promise<Schemas["HelpCenterArticleSummaries"]> {
      const locale = requireLocale(query.locale ?? DEFAULT_LOCALE, { parameter: "locale" });
      return { data: await popularArticles(db, tenantId, locale, query.limit ?? 5) };
    },

    async listPublishedArticles(tenantId: string, query: QueryOf<"listPublicHelpCenterArticles">): Promise<Schemas["PublicHelpCenterArticleList"]> {
      const result = await listArticleRows(db, tenantId, "published", query);
      const translations = await translationsOf(db, tenantId, result.data, "published");
      return { data: result.data.map((row) => toPublicArticle(row as PublishedRecord, translations.get(row.id) ?? [])), nextCursor: result.nextCursor };
    },

    /** A published article as the public reads it; counts the view (in batches, see view-counter.ts). */
    async readPublished(tenantId: string, articleId: string): Promise<Schemas["PublicHelpCenterArticle"]> {
      const row = (await visibleArticle(tenantId, articleId, "published")) as PublishedRecord;
      views.count(tenantId, articleId);
      return toPublicArticle(row, (await translationsOf(db, tenantId, [row], "published")).get(row.id) ?? []);
    },
  };
}

export type HelpCenterService = ReturnType<typeof createHelpCenterService>;
