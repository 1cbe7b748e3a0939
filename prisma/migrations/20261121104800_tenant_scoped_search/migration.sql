-- Search within one tenant: a GIN index led by "tenantId" (btree_gin), so a tenant's search reads
-- only its own matches, however large other tenants grow. Replaces the index on the vector alone.
-- btree_gin ships with PostgreSQL (contrib) and is a trusted extension: a database owner may add it.
CREATE EXTENSION IF NOT EXISTS btree_gin;

CREATE INDEX "Ticket_tenantId_searchVector_idx" ON "Ticket" USING GIN ("tenantId", "searchVector");

-- DropIndex
DROP INDEX "Ticket_searchVector_idx";
