-- CreateTable
CREATE TABLE "StreamTicket" (
    "tenantId" UUID NOT NULL,
    "id" UUID NOT NULL,
    "sessionId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "accessExpiresAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "StreamTicket_pkey" PRIMARY KEY ("tenantId","id")
);

-- CreateIndex
CREATE UNIQUE INDEX "StreamTicket_tokenHash_key" ON "StreamTicket"("tokenHash");

-- CreateIndex
CREATE INDEX "StreamTicket_expiresAt_idx" ON "StreamTicket"("expiresAt");

-- AddForeignKey
ALTER TABLE "StreamTicket" ADD CONSTRAINT "StreamTicket_tenantId_sessionId_fkey" FOREIGN KEY ("tenantId", "sessionId") REFERENCES "Session"("tenantId", "id") ON DELETE CASCADE ON UPDATE CASCADE;
