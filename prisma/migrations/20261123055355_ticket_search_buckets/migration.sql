-- Relevance search ranks the newest 1,000 matches. With an index on the vector alone, finding
-- them meant reading every match (or walking the createdAt index past 100 tickets per match of a
-- 1 % word): 95 ms at 1,000,000 tickets. Keyed by the bucket of 16,384 consecutive ticket numbers
-- as well, the newest matches are read a bucket at a time, newest bucket first, and a search
-- reads about the same rows at any size. The vector alone still uses this index (GIN searches
-- any subset of its columns), so it replaces the old one.
-- btree_gin ships with PostgreSQL (contrib) and is a trusted extension: a database owner may add it.
CREATE EXTENSION IF NOT EXISTS btree_gin;

CREATE INDEX "Ticket_searchBucket_searchVector_idx" ON "Ticket" USING GIN (("number" >> 14), "searchVector");

-- DropIndex
DROP INDEX "Ticket_searchVector_idx";

-- Under row-level security an index scan takes a query's condition only if its functions are
-- LEAKPROOF (see the row_level_security migration). The bucket's condition, (number >> 14) = b,
-- shifts an integer, which raises no error on any value: mark it, in this database. Without it
-- each bucket's probe reads every match of the word. Only a superuser may; run by anyone else,
-- search still works, slower, and this says what to run once.
DO $$
BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    ALTER FUNCTION pg_catalog.int4shr(integer, integer) LEAKPROOF;
  ELSE
    RAISE WARNING 'Relevance search cannot probe its index bucket by bucket under row-level security until a superuser runs, in this database: ALTER FUNCTION pg_catalog.int4shr(integer, integer) LEAKPROOF';
  END IF;
END
$$;
