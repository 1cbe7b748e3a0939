-- CreateTable
CREATE TABLE "WidgetSettings" (
    "tenantId" UUID NOT NULL,
    "id" UUID NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "identity" TEXT NOT NULL DEFAULT 'anonymous',
    "allowedOrigins" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "appearance" JSONB NOT NULL DEFAULT '{}',
    "sealedSecret" TEXT,
    "secretRotatedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "WidgetSettings_pkey" PRIMARY KEY ("tenantId","id")
);

-- CreateTable
CREATE TABLE "Visitor" (
    "tenantId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "externalId" TEXT,
    "resumeTokenHash" TEXT,
    "followUpEmail" TEXT,
    "locale" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Visitor_pkey" PRIMARY KEY ("tenantId","userId")
);

-- CreateIndex
CREATE UNIQUE INDEX "WidgetSettings_tenantId_key" ON "WidgetSettings"("tenantId");

-- CreateIndex
CREATE UNIQUE INDEX "Visitor_resumeTokenHash_key" ON "Visitor"("resumeTokenHash");

-- CreateIndex
CREATE UNIQUE INDEX "Visitor_tenantId_externalId_key" ON "Visitor"("tenantId", "externalId");

-- AddForeignKey
ALTER TABLE "WidgetSettings" ADD CONSTRAINT "WidgetSettings_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Visitor" ADD CONSTRAINT "Visitor_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Visitor" ADD CONSTRAINT "Visitor_tenantId_userId_fkey" FOREIGN KEY ("tenantId", "userId") REFERENCES "User"("tenantId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Row-level security
SELECT docket_isolate_tenant_table('"WidgetSettings"');
SELECT docket_isolate_tenant_table('"Visitor"');
