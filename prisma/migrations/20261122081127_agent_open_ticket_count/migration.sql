-- AlterTable
ALTER TABLE "User" ADD COLUMN     "openAssigned" INTEGER NOT NULL DEFAULT 0;

-- Each agent's count of unsolved, undeleted tickets assigned to them, kept as tickets change:
-- auto-assignment reads a group's members and their counts instead of counting every open ticket
-- of the tenant (10,000 open tickets cost a scan per decision). One row-level trigger on the
-- columns that decide the count; the agent's row is locked only while a ticket moves onto or off
-- their count, and never when a ticket's other fields change.
CREATE FUNCTION "ticket_counts_open_assigned"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  was_counted boolean := TG_OP <> 'INSERT' AND OLD."assigneeId" IS NOT NULL AND OLD."deletedAt" IS NULL AND OLD.status IN ('open', 'pending', 'on_hold');
  is_counted boolean := TG_OP <> 'DELETE' AND NEW."assigneeId" IS NOT NULL AND NEW."deletedAt" IS NULL AND NEW.status IN ('open', 'pending', 'on_hold');
BEGIN
  IF was_counted AND is_counted AND OLD."assigneeId" = NEW."assigneeId" THEN
    RETURN NULL;
  END IF;
  IF was_counted THEN
    UPDATE "User" SET "openAssigned" = "openAssigned" - 1 WHERE "tenantId" = OLD."tenantId" AND id = OLD."assigneeId";
  END IF;
  IF is_counted THEN
    UPDATE "User" SET "openAssigned" = "openAssigned" + 1 WHERE "tenantId" = NEW."tenantId" AND id = NEW."assigneeId";
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "Ticket_countsOpenAssigned" AFTER INSERT OR DELETE OR UPDATE OF "assigneeId", status, "deletedAt" ON "Ticket"
  FOR EACH ROW EXECUTE FUNCTION "ticket_counts_open_assigned"();

-- The counts of the tickets already there (as the table's owner: row-level security is forced).
SET LOCAL ROLE docket_system;
UPDATE "User" u SET "openAssigned" = c.n
  FROM (SELECT "tenantId", "assigneeId", count(*)::int AS n FROM "Ticket"
         WHERE "assigneeId" IS NOT NULL AND "deletedAt" IS NULL AND status IN ('open', 'pending', 'on_hold')
         GROUP BY "tenantId", "assigneeId") c
 WHERE u."tenantId" = c."tenantId" AND u.id = c."assigneeId";
RESET ROLE;
