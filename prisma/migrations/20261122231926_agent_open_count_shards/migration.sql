-- An agent's open-ticket count moves from one column of their "User" row to rows of its own,
-- one per database session that changed it. The trigger below updated the agent's row in the
-- transaction that opened, solved, assigned or deleted one of their tickets, and held that row's
-- lock until commit (through the SLA recompute, the events and the WAL flush), so every such
-- change to any ticket of one agent queued behind the others: under comment load that reopened
-- solved tickets, 6.5 backends waited on one agent's row on average. Now each session adds to the
-- shard of its backend (pid modulo 16): concurrent transactions take different rows, and the
-- count is the sum of an agent's rows. A shard may go negative (a ticket counted in one session
-- and solved in another); the sum is what is true.
CREATE TABLE "AgentOpenCount" (
    "tenantId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "shard" SMALLINT NOT NULL,
    "n" INTEGER NOT NULL,

    CONSTRAINT "AgentOpenCount_pkey" PRIMARY KEY ("tenantId","userId","shard")
);

ALTER TABLE "AgentOpenCount" ADD CONSTRAINT "AgentOpenCount_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "AgentOpenCount" ADD CONSTRAINT "AgentOpenCount_tenantId_userId_fkey" FOREIGN KEY ("tenantId", "userId") REFERENCES "User"("tenantId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The counts so far become each agent's shard 0 (as the table's owner: row-level security is forced).
SET LOCAL ROLE docket_system;
INSERT INTO "AgentOpenCount" ("tenantId", "userId", shard, n)
  SELECT "tenantId", id, 0, "openAssigned" FROM "User" WHERE "openAssigned" <> 0;
RESET ROLE;

ALTER TABLE "User" DROP COLUMN "openAssigned";

CREATE OR REPLACE FUNCTION "ticket_counts_open_assigned"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  was_counted boolean := TG_OP <> 'INSERT' AND OLD."assigneeId" IS NOT NULL AND OLD."deletedAt" IS NULL AND OLD.status IN ('open', 'pending', 'on_hold');
  is_counted boolean := TG_OP <> 'DELETE' AND NEW."assigneeId" IS NOT NULL AND NEW."deletedAt" IS NULL AND NEW.status IN ('open', 'pending', 'on_hold');
  session_shard smallint := pg_backend_pid() % 16;
BEGIN
  IF was_counted AND is_counted AND OLD."assigneeId" = NEW."assigneeId" THEN
    RETURN NULL;
  END IF;
  IF was_counted THEN
    INSERT INTO "AgentOpenCount" AS c ("tenantId", "userId", shard, n) VALUES (OLD."tenantId", OLD."assigneeId", session_shard, -1)
      ON CONFLICT ("tenantId", "userId", shard) DO UPDATE SET n = c.n - 1;
  END IF;
  IF is_counted THEN
    INSERT INTO "AgentOpenCount" AS c ("tenantId", "userId", shard, n) VALUES (NEW."tenantId", NEW."assigneeId", session_shard, 1)
      ON CONFLICT ("tenantId", "userId", shard) DO UPDATE SET n = c.n + 1;
  END IF;
  RETURN NULL;
END
$$;

SELECT docket_isolate_tenant_table('"AgentOpenCount"');
