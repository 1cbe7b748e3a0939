// The public shapes of endpoints, deliveries and attempts. An endpoint's secret appears only in
// the create and rotate answers, never here and never in events.
import type { Schemas } from "../../core/contract-types.ts";
import type { WebhookAttempt as AttemptRow, WebhookDelivery as DeliveryRow, WebhookEndpoint as EndpointRow } from "../../generated/prisma/client.ts";

export type Webhook = Schemas["Webhook"];
export type WebhookDelivery = Schemas["WebhookDelivery"];

export function toWebhook(row: EndpointRow): Webhook {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: row.eventTypes,
    active: row.active,
    disabledReason: row.disabledReason as Webhook["disabledReason"],
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    webhookId: row.endpointId,
    eventId: row.eventId,
    eventType: row.eventType,
    status: row.status as WebhookDelivery["status"],
    attemptCount: row.attempts,
    nextAttemptAt: row.nextAttemptAt?.toISOString() ?? null,
    lastStatus: row.lastStatus,
    lastError: row.lastError,
    createdAt: row.createdAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null,
  };
}

export function toAttempt(row: AttemptRow): Schemas["WebhookAttempt"] {
  return {
    id: row.id,
    number: row.number,
    outcome: row.outcome as Schemas["WebhookAttempt"]["outcome"],
    responseStatus: row.responseStatus,
    latencyMs: row.latencyMs,
    responseHeaders: row.responseHeaders as Record<string, string>,
    responseBody: row.responseBody,
    error: row.error,
    createdAt: row.createdAt.toISOString(),
  };
}
