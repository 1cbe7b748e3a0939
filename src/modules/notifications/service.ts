// The inbox, preferences, ticket subscriptions and GDPR requests, for the request paths (the
// tenant's connections, under row-level security). Notifications themselves are made by the feed
// consumer (derive.ts).
import type pg from "pg";
import type { Database } from "../../db/client.ts";
import { requireRole, type TenantPrincipal, type UserPrincipal } from "../../core/principal.ts";
import type { QueryOf, Schemas } from "../../core/contract-types.ts";
import { decodeCursor, page } from "../../core/cursor.ts";
import { problems, Problem } from "../../core/problem.ts";
import { canSee } from "../tickets/policy.ts";
import { isSecurityKind, type NotificationKind } from "./kinds.ts";
import { deleteOne, markAllRead, markOneRead, readInbox, UNREAD_COUNT_SQL } from "./inbox.ts";
import { effectivePreferences, preferenceTable, type PreferenceRow } from "./preferences.ts";
import { NOTIFICATION_COLUMNS, toNotification, type NotificationRow } from "./representation.ts";

type PreferenceUpdate = Schemas["NotificationPreferenceUpdate"]["preferences"];

function checkNotAlwaysSent(update: PreferenceUpdate): void {
  const security = update.find((item) => isSecurityKind(item.kind as NotificationKind));
  if (security) throw new Problem(422, "always_sent", "Always sent", `${security.kind} is a security notice: it is always sent.`);
}

export function createNotificationService(deps: { db: Database; pool: pg.Pool }) {
  const { db, pool } = deps;

  async function visibleTicket(principal: TenantPrincipal, ticketId: string): Promise<void> {
    const ticket = await db.ticket.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id: ticketId } }, select: { requesterId: true, deletedAt: true } });
    if (!ticket || ticket.deletedAt || !canSee(principal, ticket)) throw problems.notFound("ticket", ticketId);
  }

  async function checkUserOfTenant(principal: TenantPrincipal, userId: string): Promise<void> {
    requireRole(principal, ["admin"], "read or erase another user's notification data");
    const user = await db.user.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id: userId } }, select: { id: true } });
    if (!user) throw problems.notFound("user", userId);
  }

  async function preferencesOf(tenantId: string, userId: string) {
    const [own, defaults] = await Promise.all([
      db.notificationPreference.findMany({ where: { tenantId, userId }, select: { kind: true, channel: true, enabled: true } }),
      db.notificationDefault.findMany({ where: { tenantId }, select: { kind: true, channel: true, enabled: true } }),
    ]);
    return { data: effectivePreferences(preferenceTable(defaults), preferenceTable(own)) };
  }

  async function defaultsOf(tenantId: string) {
    const rows: PreferenceRow[] = await db.notificationDefault.findMany({ where: { tenantId }, select: { kind: true, channel: true, enabled: true } });
    return { data: effectivePreferences(preferenceTable(rows)) };
  }

  async function exportOf(tenantId: string, userId: string): Promise<Schemas["NotificationDataExport"]> {
    const inbox = await readInbox(db, tenantId, userId);
    const [rows, preferences, subscriptions] = await Promise.all([
      db.$queryRawUnsafe<NotificationRow[]>(`SELECT ${NOTIFICATION_COLUMNS} FROM "Notification" n WHERE n."tenantId" = $1::uuid AND n."userId" = $2::uuid ORDER BY n."createdAt", n.id`, tenantId, userId),
      db.notificationPreference.findMany({ where: { tenantId, userId }, orderBy: [{ kind: "asc" }, { channel: "asc" }] }),
      db.ticketSubscription.findMany({ where: { tenantId, userId }, orderBy: { createdAt: "asc" } }),
    ]);
    return {
      userId,
      exportedAt: new Date().toISOString(),
      notifications: rows.map((row) => ({ ...toNotification(row, inbox), channels: [...(row.inApp ? (["in_app"] as const) : []), ...(row.email ? (["email"] as const) : [])] })),
      inbox: { unreadCount: inbox.unreadCount, readUpTo: inbox.readUpTo?.toISOString() ?? null },
      preferences: preferences.map((row) => ({ kind: row.kind as NotificationKind, channel: row.channel as Schemas["NotificationChannel"], enabled: row.enabled })),
      subscriptions: subscriptions.map((row) => ({ ticketId: row.ticketId, state: row.state, reason: row.reason as Schemas["TicketSubscription"]["reason"], updatedAt: row.updatedAt.toISOString() })),
    };
  }

  /** Erasure: every notification, the inbox, preferences and follows/mutes; nothing of tickets or comments. */
  async function eraseOf(tenantId: string, userId: string): Promise<void> {
    await db.$transaction(async (tx) => {
      // The inbox row first: a notification arriving meanwhile waits for it, then finds none.
      await tx.$executeRawUnsafe(`DELETE FROM "NotificationInbox" WHERE "tenantId" = $1::uuid AND "userId" = $2::uuid`, tenantId, userId);
      await tx.notification.deleteMany({ where: { tenantId, userId } });
      await tx.notificationPreference.deleteMany({ where: { tenantId, userId } });
      await tx.ticketSubscription.deleteMany({ where: { tenantId, userId } });
    });
  }

  return {
    async list(principal: UserPrincipal, query: QueryOf<"listNotifications">): Promise<Schemas["NotificationList"]> {
      const limit = query.limit ?? 25;
      const after = decodeCursor(query.cursor, ["timestamp", "uuid"] as const);
      const inbox = await readInbox(db, principal.tenantId, principal.userId);
      const values: unknown[] = [principal.tenantId, principal.userId];
      const conditions = [`n."tenantId" = $1::uuid`, `n."userId" = $2::uuid`, `n."inApp"`];
      if (query.unread !== undefined) {
        values.push(inbox.readUpTo);
        const unread = `(n."readAt" IS NULL AND ($${values.length}::timestamptz IS NULL OR n."createdAt" > $${values.length}::timestamptz))`;
        conditions.push(query.unread ? unread : `NOT ${unread}`);
      }
      if (after) {
        values.push(after[0], after[1]);
        conditions.push(`(n."createdAt", n.id) < ($${values.length - 1}::timestamptz, $${values.length}::uuid)`);
      }
      values.push(limit + 1);
      const rows = await db.$queryRawUnsafe<NotificationRow[]>(
        `SELECT ${NOTIFICATION_COLUMNS} FROM "Notification" n WHERE ${conditions.join(" AND ")} ORDER BY n."createdAt" DESC, n.id DESC LIMIT $${values.length}`,
        ...values,
      );
      const result = page(rows, limit, (row) => [row.createdAt.toISOString(), row.id]);
      return { data: result.data.map((row) => toNotification(row, inbox)), nextCursor: result.nextCursor };
    },

    /** The hot read: one prepared statement on the raw pool, one key lookup. */
    async unreadCount(principal: UserPrincipal): Promise<Schemas["NotificationUnreadCount"]> {
      const { rows } = await pool.query<{ unreadCount: number; readUpTo: Date | null }>({ name: "notification-unread-count", text: UNREAD_COUNT_SQL, values: [principal.tenantId, principal.userId] });
      const row = rows[0];
      return { unreadCount: row?.unreadCount ?? 0, readUpTo: row?.readUpTo?.toISOString() ?? null };
    },

    async markRead(principal: UserPrincipal, notificationId: string): Promise<Schemas["Notification"]> {
      const marked = await db.$transaction((tx) => markOneRead(tx, principal.tenantId, principal.userId, notificationId));
      if (!marked) throw problems.notFound("notification", notificationId);
      return toNotification(marked.row, marked.inbox);
    },

    async markAllRead(principal: UserPrincipal, before: string | undefined): Promise<Schemas["NotificationUnreadCount"]> {
      const state = await markAllRead(pool, principal.tenantId, principal.userId, before === undefined ? undefined : new Date(before));
      return { unreadCount: state.unreadCount, readUpTo: state.readUpTo?.toISOString() ?? null };
    },

    async remove(principal: UserPrincipal, notificationId: string): Promise<void> {
      const deleted = await db.$transaction((tx) => deleteOne(tx, principal.tenantId, principal.userId, notificationId));
      if (!deleted) throw problems.notFound("notification", notificationId);
    },

    preferences: (principal: UserPrincipal) => preferencesOf(principal.tenantId, principal.userId),

    async updatePreferences(principal: UserPrincipal, update: PreferenceUpdate) {
      checkNotAlwaysSent(update);
      const { tenantId, userId } = principal;
      await db.$transaction(async (tx) => {
        for (const { kind, channel, enabled } of update) {
          const key = { tenantId_userId_kind_channel: { tenantId, userId, kind, channel } };
          if (enabled === null) await tx.notificationPreference.deleteMany({ where: { tenantId, userId, kind, channel } });
          else await tx.notificationPreference.upsert({ where: key, create: { tenantId, userId, kind, channel, enabled }, update: { enabled, updatedAt: new Date() } });
        }
      });
      return preferencesOf(tenantId, userId);
    },

    defaults(principal: TenantPrincipal) {
      requireRole(principal, ["admin"], "read the tenant's notification defaults");
      return defaultsOf(principal.tenantId);
    },

    async updateDefaults(principal: TenantPrincipal, update: PreferenceUpdate) {
      requireRole(principal, ["admin"], "change the tenant's notification defaults");
      checkNotAlwaysSent(update);
      const { tenantId } = principal;
      await db.$transaction(async (tx) => {
        for (const { kind, channel, enabled } of update) {
          if (enabled === null) await tx.notificationDefault.deleteMany({ where: { tenantId, kind, channel } });
          else await tx.notificationDefault.upsert({ where: { tenantId_kind_channel: { tenantId, kind, channel } }, create: { tenantId, kind, channel, enabled }, update: { enabled, updatedAt: new Date() } });
        }
      });
      return defaultsOf(tenantId);
    },

    async subscription(principal: UserPrincipal, ticketId: string): Promise<Schemas["TicketSubscription"]> {
      await visibleTicket(principal, ticketId);
      const row = await db.ticketSubscription.findUnique({ where: { tenantId_ticketId_userId: { tenantId: principal.tenantId, ticketId, userId: principal.userId } } });
      if (!row) return { ticketId, state: "none", reason: null, updatedAt: null };
      return { ticketId, state: row.state, reason: row.reason as Schemas["TicketSubscription"]["reason"], updatedAt: row.updatedAt.toISOString() };
    },

    async setSubscription(principal: UserPrincipal, ticketId: string, state: "following" | "muted"): Promise<Schemas["TicketSubscription"]> {
      await visibleTicket(principal, ticketId);
      const { tenantId, userId } = principal;
      const row = await db.ticketSubscription.upsert({
        where: { tenantId_ticketId_userId: { tenantId, ticketId, userId } },
        create: { tenantId, ticketId, userId, state, reason: "manual" },
        update: { state, reason: "manual", updatedAt: new Date() },
      });
      return { ticketId, state: row.state, reason: "manual", updatedAt: row.updatedAt.toISOString() };
    },

    async deleteSubscription(principal: UserPrincipal, ticketId: string): Promise<void> {
      await visibleTicket(principal, ticketId);
      await db.ticketSubscription.deleteMany({ where: { tenantId: principal.tenantId, ticketId, userId: principal.userId } });
    },

    exportOwn: (principal: UserPrincipal) => exportOf(principal.tenantId, principal.userId),
    eraseOwn: (principal: UserPrincipal) => eraseOf(principal.tenantId, principal.userId),

    async exportUser(principal: TenantPrincipal, userId: string) {
      await checkUserOfTenant(principal, userId);
      return exportOf(principal.tenantId, userId);
    },

    async eraseUser(principal: TenantPrincipal, userId: string): Promise<void> {
      await checkUserOfTenant(principal, userId);
      await eraseOf(principal.tenantId, userId);
    },
  };
}

export type NotificationService = ReturnType<typeof createNotificationService>;
