-- CreateEnum
CREATE TYPE "TriageSentiment" AS ENUM ('positive', 'neutral', 'negative');

-- CreateTable
CREATE TABLE "TicketTriage" (
    "tenantId" UUID NOT NULL,
    "ticketId" UUID NOT NULL,
    "language" TEXT NOT NULL,
    "sentiment" "TriageSentiment" NOT NULL,
    "sentimentScore" DOUBLE PRECISION NOT NULL,
    "category" TEXT NOT NULL,
    "suggestedPriority" "TicketPriority" NOT NULL,
    "skills" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "notes" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "keywords" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "confidence" JSONB NOT NULL,
    "provider" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TicketTriage_pkey" PRIMARY KEY ("tenantId","ticketId")
);

-- AddForeignKey
ALTER TABLE "TicketTriage" ADD CONSTRAINT "TicketTriage_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TicketTriage" ADD CONSTRAINT "TicketTriage_tenantId_ticketId_fkey" FOREIGN KEY ("tenantId", "ticketId") REFERENCES "Ticket"("tenantId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Row-level security: the table is tenant-owned.
SELECT docket_isolate_tenant_table('"TicketTriage"');
