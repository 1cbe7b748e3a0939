// The caller's unread count on a ticket: comments the caller may see (internal ones for agents and
// admins only), written by someone else, not deleted, after the caller's read marker in the order
// comments are listed, (createdAt, id); every such comment when there is no marker. The marker
// keeps its comment's createdAt, so the count is one range scan of Comment's
// (tenantId, ticketId, createdAt, id) index from the marker on: it costs the unread comments, not
// the thread's length. Written once, used twice: as text with placeholders for GET's prepared
// statement on the raw pool, and with the reader's values bound for the lists.
import { Prisma } from "../../generated/prisma/client.ts";
import type { TenantPrincipal } from "../../core/principal.ts";

export const seesInternal = (principal: TenantPrincipal): boolean => principal.role !== "user";

/** Ticket `t` joined to the reader's marker `m` and count `unread."unreadCount"`. */
function unreadJoinOf(reader: Prisma.Sql, readerSeesInternal: Prisma.Sql): Prisma.Sql {
  // The marker's position is computed in a sub-select the planner keeps (OFFSET 0), so the count
  // compares plain columns: under row-level security PostgreSQL puts a condition into an index
  // scan only when it cannot leak, and it counts COALESCE as able to, which turned this range
  // scan of the thread's unread tail into a filter over the whole thread.
  return Prisma.sql`LEFT JOIN "ReadMarker" m ON m."tenantId" = t."tenantId" AND m."ticketId" = t.id AND m."userId" = ${reader}
  CROSS JOIN LATERAL (SELECT coalesce(m."commentCreatedAt", '-infinity') AS "afterAt",
                             coalesce(m."commentId", '00000000-0000-0000-0000-000000000000') AS "afterId" OFFSET 0) mark
  CROSS JOIN LATERAL (SELECT count(*)::int AS "unreadCount" FROM "Comment" c
     WHERE c."tenantId" = t."tenantId" AND c."ticketId" = t.id
       AND (c."createdAt", c.id) > (mark."afterAt", mark."afterId")
       AND c."deletedAt" IS NULL AND c."authorId" <> ${reader} AND (${readerSeesInternal} OR NOT c.internal)) unread`;
}

/** For GET's prepared statement: $3 is the reader, $4 whether they see internal comments. */
export const UNREAD_JOIN_TEXT = unreadJoinOf(Prisma.raw("$3"), Prisma.raw("$4")).text;

/** For a page of tickets `t` in a list. An API key reads as the admin who made it (its principal's userId). */
export function unreadJoin(principal: TenantPrincipal): Prisma.Sql {
  return unreadJoinOf(Prisma.sql`${principal.userId}::uuid`, Prisma.sql`${seesInternal(principal)}::boolean`);
}
