// The caller's unread count on a ticket: comments the caller may see (internal ones for agents and
// admins only), written by someone else, not deleted, after the caller's read marker in the order
// comments are listed, (createdAt, id); every such comment when there is no marker. The marker
// keeps its comment's createdAt, so the count is one range scan of Comment's
// (tenantId, ticketId, createdAt, id) index from the marker on: it costs the unread comments, not
// the thread's length. Written twice, the same: as text for GET's prepared statement on the raw
// pool, and as Prisma.sql for the lists.
import { Prisma } from "../../generated/prisma/client.ts";
import type { TenantPrincipal } from "../../core/principal.ts";

export const seesInternal = (principal: TenantPrincipal): boolean => principal.role !== "user";

/** Ticket `t` joined to the reader's marker `m` and count `unread."unreadCount"`; $3 is the reader, $4 whether they see internal comments. */
export const UNREAD_JOIN_TEXT = `LEFT JOIN "ReadMarker" m ON m."tenantId" = t."tenantId" AND m."ticketId" = t.id AND m."userId" = $3
  CROSS JOIN LATERAL (SELECT count(*)::int AS "unreadCount" FROM "Comment" c
     WHERE c."tenantId" = t."tenantId" AND c."ticketId" = t.id
       AND (c."createdAt", c.id) > (coalesce(m."commentCreatedAt", '-infinity'), coalesce(m."commentId", '00000000-0000-0000-0000-000000000000'))
       AND c."deletedAt" IS NULL AND c."authorId" <> $3 AND ($4 OR NOT c.internal)) unread`;

/** The same join for a page of tickets `t` in a list. An API key reads as the admin who made it (its principal's userId). */
export function unreadJoin(principal: TenantPrincipal): Prisma.Sql {
  const userId = Prisma.sql`${principal.userId}::uuid`;
  return Prisma.sql`LEFT JOIN "ReadMarker" m ON m."tenantId" = t."tenantId" AND m."ticketId" = t.id AND m."userId" = ${userId}
  CROSS JOIN LATERAL (SELECT count(*)::int AS "unreadCount" FROM "Comment" c
     WHERE c."tenantId" = t."tenantId" AND c."ticketId" = t.id
       AND (c."createdAt", c.id) > (coalesce(m."commentCreatedAt", '-infinity'), coalesce(m."commentId", '00000000-0000-0000-0000-000000000000'))
       AND c."deletedAt" IS NULL AND c."authorId" <> ${userId} AND (${seesInternal(principal)}::boolean OR NOT c.internal)) unread`;
}
