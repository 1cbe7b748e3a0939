-- CreateEnum
CREATE TYPE "SummaryAudience" AS ENUM ('staff', 'requester');

-- CreateEnum
CREATE TYPE "QaReviewStatus" AS ENUM ('pending', 'approved', 'rejected');

-- CreateTable
CREATE TABLE "TicketSummary" (
    "tenantId" UUID NOT NULL,
    "ticketId" UUID NOT NULL,
    "audience" "SummaryAudience" NOT NULL,
    "summary" TEXT NOT NULL,
    "problem" TEXT NOT NULL,
    "actions" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "nextStep" TEXT NOT NULL,
    "entities" JSONB NOT NULL,
    "coveredEventId" UUID,
    "coveredEventSeq" BIGINT,
    "provider" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "generatedById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TicketSummary_pkey" PRIMARY KEY ("tenantId","ticketId","audience")
);

-- CreateTable
CREATE TABLE "QaReview" (
    "tenantId" UUID NOT NULL,
    "id" UUID NOT NULL,
    "ticketId" UUID NOT NULL,
    "commentId" UUID,
    "agentId" UUID NOT NULL,
    "requestedById" UUID,
    "status" "QaReviewStatus" NOT NULL DEFAULT 'pending',
    "score" INTEGER NOT NULL,
    "categories" JSONB NOT NULL,
    "provider" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "reviewerId" UUID,
    "reviewComment" TEXT,
    "reviewedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "QaReview_pkey" PRIMARY KEY ("tenantId","id")
);

-- CreateIndex
CREATE INDEX "QaReview_tenantId_createdAt_id_idx" ON "QaReview"("tenantId", "createdAt" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "QaReview_tenantId_agentId_createdAt_idx" ON "QaReview"("tenantId", "agentId", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "QaReview_tenantId_ticketId_idx" ON "QaReview"("tenantId", "ticketId");

-- AddForeignKey
ALTER TABLE "TicketSummary" ADD CONSTRAINT "TicketSummary_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TicketSummary" ADD CONSTRAINT "TicketSummary_tenantId_ticketId_fkey" FOREIGN KEY ("tenantId", "ticketId") REFERENCES "Ticket"("tenantId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "QaReview" ADD CONSTRAINT "QaReview_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "QaReview" ADD CONSTRAINT "QaReview_tenantId_ticketId_fkey" FOREIGN KEY ("tenantId", "ticketId") REFERENCES "Ticket"("tenantId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Row-level security: both tables are tenant-owned.
SELECT docket_isolate_tenant_table('"TicketSummary"');
SELECT docket_isolate_tenant_table('"QaReview"');
