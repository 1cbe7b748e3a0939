// The one place an event row becomes what consumers receive. The webhook body follows Standard
// Webhooks: { type, timestamp, data }, where data is the event as GET /v1/events shows it.
import type { FeedEvent } from "./feed.ts";

export type EventRow = Pick<FeedEvent, "id" | "type" | "actorType" | "actorId" | "entityType" | "entityId" | "ticketId" | "before" | "after" | "createdAt">;

export interface EventData {
  id: string;
  type: string;
  actor: { type: "user" | "operator" | "system"; id: string | null };
  entity: { type: string; id: string };
  ticketId: string | null;
  before: object | null;
  after: object | null;
  createdAt: string;
}

export interface WebhookPayload {
  type: string;
  timestamp: string;
  data: EventData;
}

export function webhookPayload(row: EventRow): WebhookPayload {
  const createdAt = row.createdAt.toISOString();
  return {
    type: row.type,
    timestamp: createdAt,
    data: {
      id: row.id,
      type: row.type,
      actor: { type: row.actorType, id: row.actorId },
      entity: { type: row.entityType, id: row.entityId },
      ticketId: row.ticketId,
      before: row.before,
      after: row.after,
      createdAt,
    },
  };
}
