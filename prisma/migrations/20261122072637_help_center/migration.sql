-- CreateEnum
CREATE TYPE "HelpCenterVoteValue" AS ENUM ('helpful', 'not_helpful');

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "locale" TEXT;

-- CreateTable
CREATE TABLE "HelpCenterCategory" (
    "tenantId" UUID NOT NULL,
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "position" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "HelpCenterCategory_pkey" PRIMARY KEY ("tenantId","id")
);

-- CreateTable
CREATE TABLE "HelpCenterSection" (
    "tenantId" UUID NOT NULL,
    "id" UUID NOT NULL,
    "categoryId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "position" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "HelpCenterSection_pkey" PRIMARY KEY ("tenantId","id")
);

-- CreateTable
CREATE TABLE "HelpCenterArticle" (
    "tenantId" UUID NOT NULL,
    "id" UUID NOT NULL,
    "sectionId" UUID NOT NULL,
    "translationGroupId" UUID NOT NULL,
    "locale" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "labels" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "authorId" UUID NOT NULL,
    "promoted" BOOLEAN NOT NULL DEFAULT false,
    "outdated" BOOLEAN NOT NULL DEFAULT false,
    "position" INTEGER NOT NULL DEFAULT 0,
    "publishedTitle" TEXT,
    "publishedBody" TEXT,
    "publishedAt" TIMESTAMPTZ(3),
    "draftUpdatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "viewCount" INTEGER NOT NULL DEFAULT 0,
    "helpfulCount" INTEGER NOT NULL DEFAULT 0,
    "notHelpfulCount" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "searchVector" tsvector,

    CONSTRAINT "HelpCenterArticle_pkey" PRIMARY KEY ("tenantId","id")
);

-- CreateTable
CREATE TABLE "HelpCenterVote" (
    "tenantId" UUID NOT NULL,
    "articleId" UUID NOT NULL,
    "voter" TEXT NOT NULL,
    "value" "HelpCenterVoteValue" NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "HelpCenterVote_pkey" PRIMARY KEY ("tenantId","articleId","voter")
);

-- CreateIndex
CREATE INDEX "HelpCenterCategory_tenantId_position_id_idx" ON "HelpCenterCategory"("tenantId", "position", "id");

-- CreateIndex
CREATE INDEX "HelpCenterSection_tenantId_categoryId_position_id_idx" ON "HelpCenterSection"("tenantId", "categoryId", "position", "id");

-- CreateIndex
CREATE UNIQUE INDEX "HelpCenterArticle_tenantId_translationGroupId_locale_key" ON "HelpCenterArticle"("tenantId", "translationGroupId", "locale");

-- AddForeignKey
ALTER TABLE "HelpCenterCategory" ADD CONSTRAINT "HelpCenterCategory_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HelpCenterSection" ADD CONSTRAINT "HelpCenterSection_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HelpCenterSection" ADD CONSTRAINT "HelpCenterSection_tenantId_categoryId_fkey" FOREIGN KEY ("tenantId", "categoryId") REFERENCES "HelpCenterCategory"("tenantId", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HelpCenterArticle" ADD CONSTRAINT "HelpCenterArticle_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HelpCenterArticle" ADD CONSTRAINT "HelpCenterArticle_tenantId_sectionId_fkey" FOREIGN KEY ("tenantId", "sectionId") REFERENCES "HelpCenterSection"("tenantId", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HelpCenterArticle" ADD CONSTRAINT "HelpCenterArticle_tenantId_authorId_fkey" FOREIGN KEY ("tenantId", "authorId") REFERENCES "User"("tenantId", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HelpCenterVote" ADD CONSTRAINT "HelpCenterVote_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HelpCenterVote" ADD CONSTRAINT "HelpCenterVote_tenantId_articleId_fkey" FOREIGN KEY ("tenantId", "articleId") REFERENCES "HelpCenterArticle"("tenantId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The text search configuration of a BCP 47 locale, by its language subtag (pt-BR → portuguese);
-- `simple` (no stemming, no stop words) for languages PostgreSQL has no configuration for. Only
-- configurations every supported PostgreSQL (15 and later) ships. IMMUTABLE so the generated
-- search vector below can use it: the built-in configurations it names never change.
CREATE FUNCTION docket_text_search_config(locale text) RETURNS regconfig LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE lower(split_part(locale, '-', 1))
    WHEN 'ar' THEN 'pg_catalog.arabic'
    WHEN 'da' THEN 'pg_catalog.danish'
    WHEN 'de' THEN 'pg_catalog.german'
    WHEN 'el' THEN 'pg_catalog.greek'
    WHEN 'en' THEN 'pg_catalog.english'
    WHEN 'es' THEN 'pg_catalog.spanish'
    WHEN 'fi' THEN 'pg_catalog.finnish'
    WHEN 'fr' THEN 'pg_catalog.french'
    WHEN 'ga' THEN 'pg_catalog.irish'
    WHEN 'hu' THEN 'pg_catalog.hungarian'
    WHEN 'id' THEN 'pg_catalog.indonesian'
    WHEN 'it' THEN 'pg_catalog.italian'
    WHEN 'lt' THEN 'pg_catalog.lithuanian'
    WHEN 'nb' THEN 'pg_catalog.norwegian'
    WHEN 'ne' THEN 'pg_catalog.nepali'
    WHEN 'nl' THEN 'pg_catalog.dutch'
    WHEN 'nn' THEN 'pg_catalog.norwegian'
    WHEN 'no' THEN 'pg_catalog.norwegian'
    WHEN 'pt' THEN 'pg_catalog.portuguese'
    WHEN 'ro' THEN 'pg_catalog.romanian'
    WHEN 'ru' THEN 'pg_catalog.russian'
    WHEN 'sr' THEN 'pg_catalog.serbian'
    WHEN 'sv' THEN 'pg_catalog.swedish'
    WHEN 'ta' THEN 'pg_catalog.tamil'
    WHEN 'tr' THEN 'pg_catalog.turkish'
    ELSE 'pg_catalog.simple'
  END::regconfig
$$;

-- Generated from the published version only, in the article's own language, so drafts never match
-- a search and a Portuguese article stems as Portuguese. (schema.prisma declares a plain tsvector.)
ALTER TABLE "HelpCenterArticle" DROP COLUMN "searchVector";
ALTER TABLE "HelpCenterArticle" ADD COLUMN "searchVector" tsvector GENERATED ALWAYS AS (
  CASE WHEN "publishedAt" IS NULL THEN NULL
       ELSE setweight(to_tsvector(docket_text_search_config("locale"), coalesce("publishedTitle", '')), 'A') ||
            setweight(to_tsvector(docket_text_search_config("locale"), coalesce("publishedBody", '')), 'B') END
) STORED;
CREATE INDEX "HelpCenterArticle_searchVector_idx" ON "HelpCenterArticle" USING GIN ("searchVector");

-- Articles in reading order, promoted first, per section and per locale (src/modules/help-center/
-- service.ts, listArticleRows): a page is one range of one of these, however deep.
CREATE INDEX "HelpCenterArticle_section_order_idx" ON "HelpCenterArticle" ("tenantId", "sectionId", (NOT "promoted"), "position", "id");
CREATE INDEX "HelpCenterArticle_locale_order_idx" ON "HelpCenterArticle" ("tenantId", "locale", (NOT "promoted"), "position", "id");

-- The popular list of a locale (src/modules/help-center/search.ts, popularArticles) reads its top
-- rows from this index instead of sorting every published article. (Prisma cannot model it.)
CREATE INDEX "HelpCenterArticle_popular_idx" ON "HelpCenterArticle" ("tenantId", "locale", ("viewCount" + 10 * "helpfulCount") DESC, "publishedAt" DESC, "id" DESC)
  WHERE "publishedAt" IS NOT NULL;

SELECT docket_isolate_tenant_table('"HelpCenterCategory"');
SELECT docket_isolate_tenant_table('"HelpCenterSection"');
SELECT docket_isolate_tenant_table('"HelpCenterArticle"');
SELECT docket_isolate_tenant_table('"HelpCenterVote"');
