-- AlterTable
ALTER TABLE "Ticket" ADD COLUMN     "nextBreachAt" TIMESTAMPTZ(3),
ADD COLUMN     "sla" JSONB,
ADD COLUMN     "slaPolicyId" UUID,
ADD COLUMN     "slaRevision" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "SlaSchedule" (
    "tenantId" UUID NOT NULL,
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "timeZone" TEXT NOT NULL,
    "weeklyHours" JSONB NOT NULL,
    "holidays" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "SlaSchedule_pkey" PRIMARY KEY ("tenantId","id")
);

-- CreateTable
CREATE TABLE "SlaPolicy" (
    "tenantId" UUID NOT NULL,
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "position" INTEGER NOT NULL,
    "conditions" JSONB NOT NULL DEFAULT '{}',
    "targets" JSONB NOT NULL,
    "scheduleId" UUID,
    "warningMinutes" INTEGER NOT NULL DEFAULT 15,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "SlaPolicy_pkey" PRIMARY KEY ("tenantId","id")
);

-- CreateTable
CREATE TABLE "SlaTimer" (
    "tenantId" UUID NOT NULL,
    "id" UUID NOT NULL,
    "ticketId" UUID NOT NULL,
    "metric" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "cycle" INTEGER NOT NULL,
    "revision" INTEGER NOT NULL,
    "dueAt" TIMESTAMPTZ(3) NOT NULL,
    "breachAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "SlaTimer_pkey" PRIMARY KEY ("tenantId","id")
);

-- CreateTable
CREATE TABLE "SlaMetricCycle" (
    "tenantId" UUID NOT NULL,
    "ticketId" UUID NOT NULL,
    "metric" TEXT NOT NULL,
    "cycle" INTEGER NOT NULL,
    "policyId" UUID NOT NULL,
    "warnedAt" TIMESTAMPTZ(3),
    "breachedAt" TIMESTAMPTZ(3),
    "fulfilledAt" TIMESTAMPTZ(3),

    CONSTRAINT "SlaMetricCycle_pkey" PRIMARY KEY ("tenantId","ticketId","metric","cycle")
);

-- CreateIndex
CREATE INDEX "SlaSchedule_tenantId_createdAt_id_idx" ON "SlaSchedule"("tenantId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "SlaPolicy_tenantId_position_idx" ON "SlaPolicy"("tenantId", "position");

-- CreateIndex
CREATE INDEX "SlaTimer_dueAt_idx" ON "SlaTimer"("dueAt");

-- CreateIndex
CREATE INDEX "SlaTimer_tenantId_ticketId_idx" ON "SlaTimer"("tenantId", "ticketId");

-- CreateIndex
CREATE INDEX "SlaMetricCycle_tenantId_fulfilledAt_idx" ON "SlaMetricCycle"("tenantId", "fulfilledAt");

-- CreateIndex
CREATE INDEX "SlaMetricCycle_tenantId_breachedAt_idx" ON "SlaMetricCycle"("tenantId", "breachedAt");

-- CreateIndex
CREATE INDEX "Ticket_nextBreachAt_idx" ON "Ticket"("tenantId", "nextBreachAt", "id") WHERE ("deletedAt" IS NULL);

-- AddForeignKey
ALTER TABLE "SlaSchedule" ADD CONSTRAINT "SlaSchedule_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SlaPolicy" ADD CONSTRAINT "SlaPolicy_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SlaPolicy" ADD CONSTRAINT "SlaPolicy_tenantId_scheduleId_fkey" FOREIGN KEY ("tenantId", "scheduleId") REFERENCES "SlaSchedule"("tenantId", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SlaTimer" ADD CONSTRAINT "SlaTimer_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SlaTimer" ADD CONSTRAINT "SlaTimer_tenantId_ticketId_fkey" FOREIGN KEY ("tenantId", "ticketId") REFERENCES "Ticket"("tenantId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SlaMetricCycle" ADD CONSTRAINT "SlaMetricCycle_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SlaMetricCycle" ADD CONSTRAINT "SlaMetricCycle_tenantId_ticketId_fkey" FOREIGN KEY ("tenantId", "ticketId") REFERENCES "Ticket"("tenantId", "id") ON DELETE CASCADE ON UPDATE CASCADE;
SELECT docket_isolate_tenant_table('"SlaSchedule"');
SELECT docket_isolate_tenant_table('"SlaPolicy"');
SELECT docket_isolate_tenant_table('"SlaTimer"');
SELECT docket_isolate_tenant_table('"SlaMetricCycle"');
