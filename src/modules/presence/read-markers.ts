// Read markers: per user and ticket, the last comment read. They only move forward, in comment
// order ((createdAt, id), the order comments are listed in), and the check is in the statement
// itself, so two tabs marking different comments at once leave the later one whatever the order
// they commit in. Not an event: it is one user's state, like a read receipt in Zendesk or
// Chatwoot; in the log it would reach every webhook and the audit trail on every glance.
import type { Database } from "../../db/client.ts";
import type { TenantPrincipal, UserPrincipal } from "../../core/principal.ts";
import type { Schemas } from "../../core/contract-types.ts";
import { problems } from "../../core/problem.ts";
import { canSee } from "../tickets/policy.ts";
import { canSeeComment } from "../comments/policy.ts";

export interface MarkedRead {
  commentId: string;
  /** Whether the comment read is internal: then only agents and admins are told of the receipt. */
  internal: boolean;
  readAt: Date;
}

export type ReadMarker = Schemas["ReadMarker"];

async function checkVisibleTicket(db: Database, principal: TenantPrincipal, ticketId: string): Promise<void> {
  const ticket = await db.ticket.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id: ticketId } }, select: { requesterId: true, deletedAt: true } });
  if (!ticket || ticket.deletedAt || !canSee(principal, ticket)) throw problems.notFound("ticket", ticketId);
}

/** Every reader's marker on a ticket the caller may see; a `user` does not see markers on internal comments. */
export async function listMarkers(db: Database, principal: TenantPrincipal, ticketId: string): Promise<ReadMarker[]> {
  await checkVisibleTicket(db, principal, ticketId);
  const rows = await db.readMarker.findMany({
    where: { tenantId: principal.tenantId, ticketId, ...(principal.role === "user" ? { comment: { internal: false } } : {}) },
    orderBy: [{ readAt: "desc" }, { userId: "asc" }],
  });
  return rows.map((row) => ({ userId: row.userId, commentId: row.commentId, readAt: row.readAt.toISOString() }));
}

/** The reader's own marker on the ticket (after markRead, there is one). */
export async function ownMarker(db: Database, principal: UserPrincipal, ticketId: string): Promise<ReadMarker> {
  const row = await db.readMarker.findUniqueOrThrow({ where: { tenantId_ticketId_userId: { tenantId: principal.tenantId, ticketId, userId: principal.userId } } });
  return { userId: row.userId, commentId: row.commentId, readAt: row.readAt.toISOString() };
}

/** The ticket and comment, as the reader may see them by the REST rules; 404 for either otherwise. */
async function visibleComment(db: Database, principal: UserPrincipal, ticketId: string, commentId: string) {
  const ticket = await db.ticket.findUnique({
    where: { tenantId_id: { tenantId: principal.tenantId, id: ticketId } },
    select: { requesterId: true, deletedAt: true, comments: { where: { id: commentId }, select: { internal: true, createdAt: true } } },
  });
  if (!ticket || ticket.deletedAt || !canSee(principal, ticket)) throw problems.notFound("ticket", ticketId);
  const comment = ticket.comments[0];
  if (!comment || !canSeeComment(principal, comment)) throw problems.notFound("comment", commentId);
  return comment;
}

/** Moves the reader's marker on the ticket to the comment; null when it already stood there or later. */
export async function markRead(db: Database, principal: UserPrincipal, ticketId: string, commentId: string): Promise<MarkedRead | null> {
  const comment = await visibleComment(db, principal, ticketId, commentId);
  // ON CONFLICT … WHERE re-checks against the row as committed by a concurrent marker, under its lock.
  const moved = await db.$queryRaw<{ readAt: Date }[]>`
    INSERT INTO "ReadMarker" ("tenantId", "ticketId", "userId", "commentId", "commentCreatedAt", "readAt")
    VALUES (${principal.tenantId}::uuid, ${ticketId}::uuid, ${principal.userId}::uuid, ${commentId}::uuid, ${comment.createdAt}, now())
    ON CONFLICT ("tenantId", "ticketId", "userId") DO UPDATE
       SET "commentId" = EXCLUDED."commentId", "commentCreatedAt" = EXCLUDED."commentCreatedAt", "readAt" = EXCLUDED."readAt"
     WHERE ("ReadMarker"."commentCreatedAt", "ReadMarker"."commentId") < (EXCLUDED."commentCreatedAt", EXCLUDED."commentId")
    RETURNING "readAt"`;
  return moved[0] ? { commentId, internal: comment.internal, readAt: moved[0].readAt } : null;
}
