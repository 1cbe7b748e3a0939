-- AlterTable
ALTER TABLE "Notification" ADD COLUMN     "emailedAt" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "Notification_email_due_idx" ON "Notification"("tenantId", "userId", "ticketId") WHERE (email AND "emailedAt" IS NULL);
