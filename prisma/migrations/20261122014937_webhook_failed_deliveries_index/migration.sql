-- CreateIndex
CREATE INDEX "WebhookDelivery_failed_idx" ON "WebhookDelivery"("completedAt") WHERE (status = 'failed');
