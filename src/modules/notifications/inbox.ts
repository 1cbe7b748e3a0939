// One user's inbox as SQL: each write locks the user's NotificationInbox row first (as the
// consumer does), then changes notifications and the counter together, so
//   unreadCount = in-app notifications with readAt null and createdAt > readUpTo
// holds after every commit, whoever writes at once. Reading the count is one key lookup;
// marking all read moves the watermark and counts only what lies past it (usually nothing).
import type pg from "pg";
import type { Db } from "../../db/client.ts";
import { NOTIFICATION_COLUMNS, type NotificationRow, type Watermark } from "./representation.ts";

export interface InboxState extends Watermark {
  unreadCount: number;
}

const EMPTY: InboxState = { unreadCount: 0, readUpTo: null, readAllAt: null };

/** The prepared statement GET /v1/notifications/unread-count runs (on the tenant's pool). */
export const UNREAD_COUNT_SQL = `SELECT "unreadCount", "readUpTo" FROM "NotificationInbox" WHERE "tenantId" = $1 AND "userId" = $2`;

/** Locks (creating it if need be) the user's inbox row for the rest of the transaction: a no-op update on conflict takes the lock. */
export async function lockInbox(tx: Db, tenantId: string, userId: string): Promise<InboxState> {
  const [row] = await tx.$queryRawUnsafe<InboxState[]>(
    `INSERT INTO "NotificationInbox" ("tenantId", "userId") VALUES ($1::uuid, $2::uuid)
     ON CONFLICT ("tenantId", "userId") DO UPDATE SET "unreadCount" = "NotificationInbox"."unreadCount"
     RETURNING "unreadCount", "readUpTo", "readAllAt"`,
    tenantId,
    userId,
  );
  return row!;
}

export async function readInbox(db: Db, tenantId: string, userId: string): Promise<InboxState> {
  const [row] = await db.$queryRawUnsafe<InboxState[]>(`SELECT "unreadCount", "readUpTo", "readAllAt" FROM "NotificationInbox" WHERE "tenantId" = $1::uuid AND "userId" = $2::uuid`, tenantId, userId);
  return row ?? EMPTY;
}

export async function findOwn(db: Db, tenantId: string, userId: string, notificationId: string): Promise<NotificationRow | undefined> {
  const [row] = await db.$queryRawUnsafe<NotificationRow[]>(
    `SELECT ${NOTIFICATION_COLUMNS} FROM "Notification" n WHERE n."tenantId" = $1::uuid AND n.id = $2::uuid AND n."userId" = $3::uuid AND n."inApp"`,
    tenantId,
    notificationId,
    userId,
  );
  return row;
}

function isUnread(row: NotificationRow, inbox: InboxState): boolean {
  return row.readAt === null && (inbox.readUpTo === null || row.createdAt.getTime() > inbox.readUpTo.getTime());
}

/** Marks one read; answers the row as it now stands (undefined: not the user's). */
export async function markOneRead(tx: Db, tenantId: string, userId: string, notificationId: string): Promise<{ row: NotificationRow; inbox: InboxState } | undefined> {
  const inbox = await lockInbox(tx, tenantId, userId);
  const row = await findOwn(tx, tenantId, userId, notificationId);
  if (!row) return undefined;
  if (row.readAt !== null) return { row, inbox };
  const [marked] = await tx.$queryRawUnsafe<{ readAt: Date }[]>(
    `UPDATE "Notification" SET "readAt" = now() WHERE "tenantId" = $1::uuid AND id = $2::uuid RETURNING "readAt"`,
    tenantId,
    notificationId,
  );
  if (isUnread(row, inbox)) {
    await tx.$executeRawUnsafe(`UPDATE "NotificationInbox" SET "unreadCount" = "unreadCount" - 1 WHERE "tenantId" = $1::uuid AND "userId" = $2::uuid`, tenantId, userId);
    inbox.unreadCount -= 1;
  }
  return { row: { ...row, readAt: marked!.readAt }, inbox };
}

/** Deletes one; false when it is not the user's. */
export async function deleteOne(tx: Db, tenantId: string, userId: string, notificationId: string): Promise<boolean> {
  const inbox = await lockInbox(tx, tenantId, userId);
  const row = await findOwn(tx, tenantId, userId, notificationId);
  if (!row) return false;
  await tx.$executeRawUnsafe(`DELETE FROM "Notification" WHERE "tenantId" = $1::uuid AND id = $2::uuid`, tenantId, notificationId);
  if (isUnread(row, inbox)) {
    await tx.$executeRawUnsafe(`UPDATE "NotificationInbox" SET "unreadCount" = "unreadCount" - 1 WHERE "tenantId" = $1::uuid AND "userId" = $2::uuid`, tenantId, userId);
  }
  return true;
}

/**
 * Moves the watermark forward to `before` (at most now) and recounts what lies past it: one
 * index range scan over the notifications newer than the watermark, none of them rewritten. Two
 * statements on one raw connection (no ORM round trips on this path): the first creates or locks
 * the inbox, so the second's snapshot is taken after any notification that held the lock committed.
 */
export async function markAllRead(pool: pg.Pool, tenantId: string, userId: string, before: Date | undefined): Promise<InboxState> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    // Creates or locks the inbox and moves the watermark (forward only, never past now).
    const moved = await client.query<{ readUpTo: Date }>({
      name: "notification-inbox-watermark",
      text: `INSERT INTO "NotificationInbox" ("tenantId", "userId", "readUpTo", "readAllAt") VALUES ($1, $2, least(coalesce($3::timestamptz, now()), now()), now())
             ON CONFLICT ("tenantId", "userId") DO UPDATE
               SET "readUpTo" = greatest("NotificationInbox"."readUpTo", excluded."readUpTo"), "readAllAt" = excluded."readAllAt"
             RETURNING "readUpTo"`,
      values: [tenantId, userId, before ?? null],
    });
    // Unnamed, so planned for this watermark: past a recent one lie few rows (an index range),
    // which a plan for any value (a third of the table) would scan whole.
    const { rows } = await client.query<InboxState>(
      `UPDATE "NotificationInbox" b
          SET "unreadCount" = (SELECT count(*)::int FROM "Notification" n
                                WHERE n."tenantId" = $1 AND n."userId" = $2 AND n."inApp" AND n."createdAt" > $3 AND n."readAt" IS NULL)
        WHERE b."tenantId" = $1 AND b."userId" = $2
        RETURNING b."unreadCount", b."readUpTo", b."readAllAt"`,
      [tenantId, userId, moved.rows[0]!.readUpTo],
    );
    await client.query("COMMIT");
    return rows[0]!;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
