// New notifications reach their owner's open sockets: the consumer sends a pg_notify in the
// transaction that makes them (so it fires at commit, and never for what rolled back), every API
// instance listens, and each pushes to that user's sockets it holds. Nothing here is durable: a
// socket that was not open reads GET /v1/notifications.
import type { Schemas } from "../../core/contract-types.ts";

export const NOTIFICATIONS_CHANNEL = "docket_notifications";

export interface NotificationPush {
  tenantId: string;
  userId: string;
  unreadCount: number;
  notification: Schemas["Notification"];
}

export function decodePush(payload: string): NotificationPush | undefined {
  try {
    const push = JSON.parse(payload) as NotificationPush;
    return typeof push.tenantId === "string" && typeof push.userId === "string" && typeof push.notification === "object" ? push : undefined;
  } catch {
    return undefined;
  }
}
