import type { Schemas } from "../../core/contract-types.ts";

export type Notification = Schemas["Notification"];

/** A Notification row as the queries select it, with the owner's watermark. */
export interface NotificationRow {
  id: string;
  userId: string;
  eventId: string;
  eventType: string;
  reason: string;
  ticketId: string | null;
  commentId: string | null;
  actorType: "user" | "api_key" | "operator" | "system";
  actorId: string | null;
  summary: string;
  inApp: boolean;
  email: boolean;
  createdAt: Date;
  readAt: Date | null;
}

export interface Watermark {
  readUpTo: Date | null;
  readAllAt: Date | null;
}

/** Read one by one (readAt), or by the watermark: then it was read when the watermark last moved. */
export function toNotification(row: NotificationRow, watermark: Watermark): Notification {
  const byWatermark = watermark.readUpTo !== null && row.createdAt.getTime() <= watermark.readUpTo.getTime() ? (watermark.readAllAt ?? watermark.readUpTo) : null;
  const readAt = row.readAt ?? byWatermark;
  return {
    id: row.id,
    reason: row.reason as Notification["reason"],
    eventId: row.eventId,
    eventType: row.eventType,
    ticketId: row.ticketId,
    commentId: row.commentId,
    actor: { type: row.actorType, id: row.actorId },
    summary: row.summary,
    createdAt: row.createdAt.toISOString(),
    readAt: readAt?.toISOString() ?? null,
  };
}

export const NOTIFICATION_COLUMNS = `n.id, n."userId", n."eventId", n."eventType", n.reason, n."ticketId", n."commentId", n."actorType"::text AS "actorType", n."actorId", n.summary, n."inApp", n.email, n."createdAt", n."readAt"`;
