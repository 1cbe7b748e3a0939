-- Each comment gets a search vector of its own, and the ticket's vector keeps its title (A) and
-- description (B) only. Before, every comment rebuilt its ticket's vector from the whole thread:
-- a comment cost what its thread cost, and past 1 MB of text PostgreSQL refused (54000), so every
-- later comment on that ticket failed. Search matches a ticket by its own vector or by any of its
-- public, undeleted comments (src/modules/tickets/listing.ts).

-- Generated, so it cannot drift from the row: NULL while internal or deleted, so those never match.
-- (Prisma cannot model generated columns; schema.prisma declares a plain tsvector.)
ALTER TABLE "Comment" ADD COLUMN "searchVector" tsvector GENERATED ALWAYS AS (
  CASE WHEN "internal" OR "deletedAt" IS NOT NULL THEN NULL
       ELSE setweight(to_tsvector('english', "body"), 'C') END
) STORED;

-- On the vector alone, like the ticket's (see schema.prisma).
CREATE INDEX "Comment_searchVector_idx" ON "Comment" USING GIN ("searchVector");

DROP TRIGGER "Comment_searchVector" ON "Comment";
DROP FUNCTION "comment_search_vector_touch"();

CREATE OR REPLACE FUNCTION "ticket_search_vector_refresh"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."searchVector" :=
    setweight(to_tsvector('english', coalesce(NEW."title", '')), 'A') ||
    setweight(to_tsvector('english', coalesce(NEW."description", '')), 'B');
  RETURN NEW;
END $$;

-- Recomputes every ticket's vector without its comments (the trigger fires on this column).
UPDATE "Ticket" SET "searchVector" = NULL;
