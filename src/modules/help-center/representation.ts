// What the help center shows: staff see an article's draft beside its published version; everyone
// else (a `user`, the public) sees the published version only.
import type { HelpCenterArticle as ArticleRow, HelpCenterCategory as CategoryRow, HelpCenterSection as SectionRow } from "../../generated/prisma/client.ts";
import type { Schemas } from "../../core/contract-types.ts";

export type Category = Schemas["HelpCenterCategory"];
export type Section = Schemas["HelpCenterSection"];
export type Article = Schemas["HelpCenterArticle"];
export type PublicArticle = Schemas["PublicHelpCenterArticle"];
export type ArticleSummary = Schemas["HelpCenterArticleSummary"];
export type Translation = Schemas["HelpCenterTranslation"];

/** An article row as read (Prisma's model omits the search vector, which it cannot represent). */
export type ArticleRecord = ArticleRow;
/** A published article: its published fields are set. */
export type PublishedRecord = ArticleRecord & { publishedTitle: string; publishedBody: string; publishedAt: Date };

export function isPublished(row: ArticleRecord): row is PublishedRecord {
  return row.publishedAt !== null && row.publishedTitle !== null && row.publishedBody !== null;
}

export function toCategory(row: CategoryRow): Category {
  return { id: row.id, name: row.name, description: row.description, position: row.position, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
}

export function toSection(row: SectionRow): Section {
  return {
    id: row.id,
    categoryId: row.categoryId,
    name: row.name,
    description: row.description,
    position: row.position,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function counts(row: ArticleRecord) {
  return { viewCount: row.viewCount, helpfulCount: row.helpfulCount, notHelpfulCount: row.notHelpfulCount };
}

/** Staff's view: the draft in title/body, the published version beside it. */
export function toArticle(row: ArticleRecord, translations: Translation[]): Article {
  const published = isPublished(row) ? { title: row.publishedTitle, body: row.publishedBody, publishedAt: row.publishedAt.toISOString() } : null;
  return {
    id: row.id,
    sectionId: row.sectionId,
    translationGroupId: row.translationGroupId,
    locale: row.locale,
    title: row.title,
    body: row.body,
    labels: row.labels,
    authorId: row.authorId,
    promoted: row.promoted,
    outdated: row.outdated,
    position: row.position,
    status: published ? "published" : "draft",
    hasUnpublishedChanges: published === null || published.title !== row.title || published.body !== row.body,
    published,
    translations,
    ...counts(row),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** A `user`'s view through the staff API: the published version, as if it were all there is. */
export function toArticleAsPublished(row: PublishedRecord, translations: Translation[]): Article {
  const published = { title: row.publishedTitle, body: row.publishedBody, publishedAt: row.publishedAt.toISOString() };
  return { ...toArticle({ ...row, title: row.publishedTitle, body: row.publishedBody }, translations), published, hasUnpublishedChanges: false };
}

export function toPublicArticle(row: PublishedRecord, translations: Translation[]): PublicArticle {
  return {
    id: row.id,
    sectionId: row.sectionId,
    locale: row.locale,
    title: row.publishedTitle,
    body: row.publishedBody,
    labels: row.labels,
    promoted: row.promoted,
    outdated: row.outdated,
    position: row.position,
    publishedAt: row.publishedAt.toISOString(),
    translations,
    ...counts(row),
  };
}

export function toSummary(row: PublishedRecord): ArticleSummary {
  return {
    id: row.id,
    sectionId: row.sectionId,
    locale: row.locale,
    title: row.publishedTitle,
    labels: row.labels,
    promoted: row.promoted,
    outdated: row.outdated,
    publishedAt: row.publishedAt.toISOString(),
    ...counts(row),
  };
}

/** What an article event records: facts, never the body (it can be edited away). */
export function articleFacts(row: ArticleRecord) {
  return {
    articleId: row.id,
    translationGroupId: row.translationGroupId,
    sectionId: row.sectionId,
    locale: row.locale,
    title: row.title,
    status: isPublished(row) ? ("published" as const) : ("draft" as const),
    labels: row.labels,
    promoted: row.promoted,
    outdated: row.outdated,
    position: row.position,
  };
}

/** HTML-escapes a ts_headline snippet and turns its match markers into <mark> (see search.ts). */
export const MATCH_START = "\u0002";
export const MATCH_STOP = "\u0003";
const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function snippetHtml(headline: string): string {
  return headline.replace(/[&<>"']/g, (character) => ESCAPES[character]!).replaceAll(MATCH_START, "<mark>").replaceAll(MATCH_STOP, "</mark>");
}
