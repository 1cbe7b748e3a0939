import type { Handlers, Schemas } from "../../core/contract-types.ts";
import { callerOf, userOf } from "../../core/principal.ts";
import type { NotificationService } from "./service.ts";

type NotificationHandlers = Pick<
  Handlers,
  | "listNotifications"
  | "getUnreadNotificationCount"
  | "markAllNotificationsRead"
  | "markNotificationRead"
  | "deleteNotification"
  | "getNotificationPreferences"
  | "updateNotificationPreferences"
  | "getNotificationDefaults"
  | "updateNotificationDefaults"
  | "exportMyNotificationData"
  | "eraseMyNotificationData"
  | "exportUserNotificationData"
  | "eraseUserNotificationData"
  | "getTicketSubscription"
  | "setTicketSubscription"
  | "deleteTicketSubscription"
>;

export function notificationHandlers(notifications: NotificationService): NotificationHandlers {
  return {
    listNotifications: async (request) => notifications.list(userOf(request), request.query),
    getUnreadNotificationCount: async (request) => notifications.unreadCount(userOf(request)),
    markAllNotificationsRead: async (request) => notifications.markAllRead(userOf(request), (request.body as Schemas["NotificationReadAll"] | undefined)?.before),
    markNotificationRead: async (request) => notifications.markRead(userOf(request), request.params.notificationId),
    deleteNotification: async (request, reply) => {
      await notifications.remove(userOf(request), request.params.notificationId);
      reply.status(204);
    },
    getNotificationPreferences: async (request) => notifications.preferences(userOf(request)),
    updateNotificationPreferences: async (request) => notifications.updatePreferences(userOf(request), request.body.preferences),
    getNotificationDefaults: async (request) => notifications.defaults(callerOf(request)),
    updateNotificationDefaults: async (request) => notifications.updateDefaults(callerOf(request), request.body.preferences),
    exportMyNotificationData: async (request) => notifications.exportOwn(userOf(request)),
    eraseMyNotificationData: async (request, reply) => {
      await notifications.eraseOwn(userOf(request));
      reply.status(204);
    },
    exportUserNotificationData: async (request) => notifications.exportUser(callerOf(request), request.params.userId),
    eraseUserNotificationData: async (request, reply) => {
      await notifications.eraseUser(callerOf(request), request.params.userId);
      reply.status(204);
    },
    getTicketSubscription: async (request) => notifications.subscription(userOf(request), request.params.ticketId),
    setTicketSubscription: async (request) => notifications.setSubscription(userOf(request), request.params.ticketId, request.body.state),
    deleteTicketSubscription: async (request, reply) => {
      await notifications.deleteSubscription(userOf(request), request.params.ticketId);
      reply.status(204);
    },
  };
}
