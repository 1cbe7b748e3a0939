-- CreateEnum
CREATE TYPE "TicketStatus" AS ENUM ('open', 'pending', 'on_hold', 'solved', 'closed');

-- CreateEnum
CREATE TYPE "TicketPriority" AS ENUM ('low', 'normal', 'high', 'urgent');

-- CreateEnum
CREATE TYPE "TicketType" AS ENUM ('question', 'incident', 'problem', 'task');

-- CreateEnum
CREATE TYPE "TicketChannel" AS ENUM ('api', 'web', 'email', 'chat', 'phone');

-- AlterTable
ALTER TABLE "Tenant" ADD COLUMN     "lastTicketNumber" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "Event" ADD COLUMN     "internal" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "ticketId" UUID,
ADD COLUMN     "txId" xid8 NOT NULL DEFAULT pg_current_xact_id();

-- CreateTable
CREATE TABLE "Ticket" (
    "tenantId" UUID NOT NULL,
    "id" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "status" "TicketStatus" NOT NULL DEFAULT 'open',
    "priority" "TicketPriority" NOT NULL DEFAULT 'normal',
    "type" "TicketType",
    "channel" "TicketChannel" NOT NULL DEFAULT 'api',
    "requesterId" UUID NOT NULL,
    "assigneeId" UUID,
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "dueAt" TIMESTAMPTZ(3),
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "firstResponseAt" TIMESTAMPTZ(3),
    "solvedAt" TIMESTAMPTZ(3),
    "closedAt" TIMESTAMPTZ(3),
    "deletedAt" TIMESTAMPTZ(3),
    "searchVector" tsvector,

    CONSTRAINT "Ticket_pkey" PRIMARY KEY ("tenantId","id")
);

-- CreateTable
CREATE TABLE "Comment" (
    "tenantId" UUID NOT NULL,
    "id" UUID NOT NULL,
    "ticketId" UUID NOT NULL,
    "authorId" UUID NOT NULL,
    "parentId" UUID,
    "body" TEXT NOT NULL,
    "internal" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "editedAt" TIMESTAMPTZ(3),
    "deletedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Comment_pkey" PRIMARY KEY ("tenantId","id")
);

-- CreateTable
CREATE TABLE "IdempotencyKey" (
    "tenantId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "operationId" TEXT NOT NULL,
    "requestHash" TEXT NOT NULL,
    "responseStatus" INTEGER,
    "responseBody" JSONB,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "IdempotencyKey_pkey" PRIMARY KEY ("tenantId","userId","key")
);

-- CreateIndex
CREATE INDEX "Ticket_tenantId_createdAt_id_idx" ON "Ticket"("tenantId", "createdAt" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "Ticket_tenantId_updatedAt_id_idx" ON "Ticket"("tenantId", "updatedAt" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "Ticket_tenantId_priority_number_idx" ON "Ticket"("tenantId", "priority", "number");

-- CreateIndex
CREATE INDEX "Ticket_tenantId_status_createdAt_idx" ON "Ticket"("tenantId", "status", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "Ticket_tenantId_assigneeId_status_idx" ON "Ticket"("tenantId", "assigneeId", "status");

-- CreateIndex
CREATE INDEX "Ticket_tenantId_requesterId_createdAt_idx" ON "Ticket"("tenantId", "requesterId", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "Ticket_tags_idx" ON "Ticket" USING GIN ("tags");

-- CreateIndex
CREATE INDEX "Ticket_searchVector_idx" ON "Ticket" USING GIN ("searchVector");

-- CreateIndex
CREATE UNIQUE INDEX "Ticket_tenantId_number_key" ON "Ticket"("tenantId", "number");

-- CreateIndex
CREATE INDEX "Comment_tenantId_ticketId_createdAt_id_idx" ON "Comment"("tenantId", "ticketId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "IdempotencyKey_createdAt_idx" ON "IdempotencyKey"("createdAt");

-- CreateIndex
CREATE INDEX "Event_tenantId_ticketId_seq_idx" ON "Event"("tenantId", "ticketId", "seq");

-- CreateIndex
CREATE INDEX "Event_tenantId_txId_seq_idx" ON "Event"("tenantId", "txId", "seq");

-- AddForeignKey
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_tenantId_requesterId_fkey" FOREIGN KEY ("tenantId", "requesterId") REFERENCES "User"("tenantId", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_tenantId_assigneeId_fkey" FOREIGN KEY ("tenantId", "assigneeId") REFERENCES "User"("tenantId", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Comment" ADD CONSTRAINT "Comment_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Comment" ADD CONSTRAINT "Comment_tenantId_ticketId_fkey" FOREIGN KEY ("tenantId", "ticketId") REFERENCES "Ticket"("tenantId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Comment" ADD CONSTRAINT "Comment_tenantId_authorId_fkey" FOREIGN KEY ("tenantId", "authorId") REFERENCES "User"("tenantId", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Comment" ADD CONSTRAINT "Comment_tenantId_parentId_fkey" FOREIGN KEY ("tenantId", "parentId") REFERENCES "Comment"("tenantId", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IdempotencyKey" ADD CONSTRAINT "IdempotencyKey_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Full-text search over a ticket's title (weight A), description (B) and public, undeleted
-- comments (C). Written by hand: Prisma does not model triggers. A comment change resets the
-- ticket's vector to NULL, which the ticket trigger recomputes.
CREATE FUNCTION "ticket_search_vector_refresh"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."searchVector" :=
    setweight(to_tsvector('english', coalesce(NEW."title", '')), 'A') ||
    setweight(to_tsvector('english', coalesce(NEW."description", '')), 'B') ||
    setweight(to_tsvector('english', coalesce((
      SELECT string_agg(c."body", ' ') FROM "Comment" c
       WHERE c."tenantId" = NEW."tenantId" AND c."ticketId" = NEW."id" AND NOT c."internal" AND c."deletedAt" IS NULL
    ), '')), 'C');
  RETURN NEW;
END $$;

CREATE TRIGGER "Ticket_searchVector" BEFORE INSERT OR UPDATE OF "title", "description", "searchVector" ON "Ticket"
  FOR EACH ROW EXECUTE FUNCTION "ticket_search_vector_refresh"();

CREATE FUNCTION "comment_search_vector_touch"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE c "Comment" := COALESCE(NEW, OLD);
BEGIN
  UPDATE "Ticket" SET "searchVector" = NULL WHERE "tenantId" = c."tenantId" AND "id" = c."ticketId";
  RETURN NULL;
END $$;

CREATE TRIGGER "Comment_searchVector" AFTER INSERT OR DELETE OR UPDATE OF "body", "internal", "deletedAt" ON "Comment"
  FOR EACH ROW EXECUTE FUNCTION "comment_search_vector_touch"();
