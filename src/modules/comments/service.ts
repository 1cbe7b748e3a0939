// Comments on a ticket: public or internal, one level of replies, edits marked, deletions leaving
// a placeholder. A comment may move its ticket: the requester's public comment reopens a solved
// ticket, and an agent's first public comment is the ticket's first response.
import { COMMITS_SQL, type Database, type Db } from "../../db/client.ts";
import { Prisma, type Comment as CommentRow } from "../../generated/prisma/client.ts";
import { v7 as uuidv7 } from "uuid";
import { appendEvent, contextOf, eventRow, insertEventSql, type RequestContext } from "../../events/event-log.ts";
import { commentFacts } from "../../events/payload.ts";
import type { TenantPrincipal } from "../../core/principal.ts";
import type { QueryOf, Schemas } from "../../core/contract-types.ts";
import { createdAtKeyset } from "../../core/cursor.ts";
import { idempotent, type Outcome } from "../../core/idempotency.ts";
import { problems } from "../../core/problem.ts";
import { canSee } from "../tickets/policy.ts";
import { applyChange, lockVisibleTicket } from "../tickets/service.ts";
import { canSeeComment, checkCanDelete, checkCanEdit, checkCanWriteInternal } from "./policy.ts";
import { toComment, type Comment } from "./representation.ts";
import type { SlaPlan, TicketSla } from "../sla/ticket-sla.ts";

/** What a public comment that does not reopen its ticket writes to it, beside the comment. */
interface TicketBump {
  /** The ticket's SLA with the reply's clocks (sla.plan). */
  sla: SlaPlan;
  /** Set when the comment is the ticket's first response. */
  firstResponseAt?: Date;
}

/**
 * Inserts the comment and its events and, when asked, bumps the ticket's version (and updatedAt,
 * as Prisma's @updatedAt would), sets its first response and writes its SLA as planned, in one
 * statement; the caller holds the ticket's lock. Returns the ticket's new SLA revision when it was
 * written. With `commits`, the statement also commits the caller's transaction (nothing follows it).
 */
async function insertComment(tx: Db, comment: CommentRow, events: ReturnType<typeof eventRow>[], bump: TicketBump | false, commits: boolean): Promise<number | undefined> {
  const firstResponse = bump && bump.firstResponseAt ? Prisma.sql`, "firstResponseAt" = ${bump.firstResponseAt}::timestamptz` : Prisma.empty;
  const [ticket] = await tx.$queryRaw<{ slaRevision: number }[]>`
    ${commits ? COMMITS_SQL : Prisma.empty}WITH comment AS (
      INSERT INTO "Comment" ("tenantId", id, "ticketId", "authorId", "parentId", body, internal, "createdAt", "updatedAt")
      VALUES (${comment.tenantId}::uuid, ${comment.id}::uuid, ${comment.ticketId}::uuid, ${comment.authorId}::uuid, ${comment.parentId}::uuid, ${comment.body}, ${comment.internal},
              ${comment.createdAt}::timestamptz, ${comment.updatedAt}::timestamptz)
    ), event AS (${insertEventSql(...events)})
    UPDATE "Ticket" SET version = version + 1, "updatedAt" = ${comment.createdAt}::timestamptz${firstResponse}${bump ? Prisma.sql`, ${bump.sla.assignments}` : Prisma.empty}
     WHERE ${bump !== false} AND "tenantId" = ${comment.tenantId}::uuid AND id = ${comment.ticketId}::uuid
    RETURNING "slaRevision"`;
  return ticket?.slaRevision;
}

export function createCommentService(db: Database, sla: TicketSla) {
  async function visibleTicket(principal: TenantPrincipal, ticketId: string) {
    const ticket = await db.ticket.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id: ticketId } } });
    if (!ticket || ticket.deletedAt || !canSee(principal, ticket)) throw problems.notFound("ticket", ticketId);
    return ticket;
  }

  async function visibleComment(tx: Db, principal: TenantPrincipal, ticketId: string, commentId: string): Promise<CommentRow> {
    const comment = await tx.comment.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id: commentId } } });
    if (!comment || comment.ticketId !== ticketId || !canSeeComment(principal, comment)) throw problems.notFound("comment", commentId);
    return comment;
  }

  function event(principal: TenantPrincipal, comment: CommentRow) {
    return { tenantId: principal.tenantId, entity: { type: "comment", id: comment.id }, ticketId: comment.ticketId, internal: comment.internal };
  }

  return {
    async list(principal: TenantPrincipal, ticketId: string, query: QueryOf<"listComments">): Promise<Schemas["CommentList"]> {
      await visibleTicket(principal, ticketId);
      const limit = query.limit ?? 25;
      const keyset = createdAtKeyset(query.cursor, "asc");
      const where: Prisma.CommentWhereInput = { tenantId: principal.tenantId, ticketId, parentId: query.parentId, ...keyset.where };
      if (principal.role === "user") where.internal = false;
      const rows = await db.comment.findMany({ where, orderBy: keyset.orderBy, take: limit + 1 });
      const result = keyset.page(rows, limit);
      return { data: result.data.map(toComment), nextCursor: result.nextCursor };
    },

    /** Comments in the caller's transaction; with `commits`, nothing follows it there, and its last statement commits it. */
    async createIn(tx: Db, principal: TenantPrincipal, ticketId: string, input: Schemas["CommentCreate"], context: RequestContext, options: { commits?: boolean } = {}): Promise<Comment> {
      const commits = options.commits ?? false;
      const internal = input.internal ?? false;
      checkCanWriteInternal(principal, internal);
      const ticket = await lockVisibleTicket(tx, principal, ticketId);
      if (ticket.deletedAt) throw problems.notFound("ticket", ticketId);
      if (ticket.status === "closed") throw problems.conflict("ticket_closed", "This ticket is closed and takes no more comments; open a follow-up ticket instead.");
      if (input.parentId !== undefined) {
        const parent = await tx.comment.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id: input.parentId } } });
        if (!parent || parent.ticketId !== ticketId || !canSeeComment(principal, parent)) throw problems.invalidField("/parentId", "is not a comment of this ticket");
        if (parent.parentId !== null) throw problems.invalidField("/parentId", "is a reply; reply to the thread's first comment instead");
        if (parent.internal && !internal) throw problems.invalidField("/internal", "must be true: the thread is internal");
      }
      const now = new Date();
      const comment: CommentRow = {
        tenantId: principal.tenantId,
        id: uuidv7(),
        ticketId,
        authorId: principal.userId,
        parentId: input.parentId ?? null,
        body: input.body,
        internal,
        createdAt: now,
        updatedAt: now,
        editedAt: null,
        deletedAt: null,
      };

      // What the comment does to its ticket. A public comment is activity the requester sees, so it
      // bumps the version (the ETag). An internal one changes nothing on the ticket: its version,
      // updatedAt and ETag are visible to the requester, who must not learn that staff wrote.
      const byRequester = principal.userId === ticket.requesterId;
      const reopens = !internal && byRequester && ticket.status === "solved";
      const firstResponse = !internal && !byRequester && principal.role !== "user" && ticket.firstResponseAt === null;
      const commentEvent = eventRow(context, { ...event(principal, comment), type: "comment.created", after: commentFacts(comment) });
      if (internal) {
        await insertComment(tx, comment, [commentEvent], false, commits);
        return toComment(comment);
      }
      // A public reply moves the SLA clocks: an agent's fulfils first and next reply, the requester's starts next reply.
      const reply = byRequester ? "requester" : principal.role !== "user" ? "agent" : undefined;
      if (reopens) {
        // The comment, then the reopening with the reply's clocks in one write of the row.
        await insertComment(tx, comment, [commentEvent], false, false);
        await applyChange(tx, principal, ticket, { status: "open" }, context, "", (after) => sla.plan(tx, principal.tenantId, ticketId, after, reply), { commits });
        return toComment(comment);
      }
      // Otherwise the comment, its events, the version bump, the first response if it is one and
      // the SLA's new clocks: one statement.
      const events = [commentEvent];
      if (firstResponse) {
        const entity = { type: "ticket", id: ticketId };
        events.push(eventRow(context, { tenantId: principal.tenantId, type: "ticket.updated", entity, ticketId, before: { firstResponseAt: null }, after: { firstResponseAt: comment.createdAt.toISOString() } }));
      }
      const planned = await sla.plan(tx, principal.tenantId, ticketId, ticket, reply);
      const revision = await insertComment(tx, comment, events, { sla: planned, firstResponseAt: firstResponse ? comment.createdAt : undefined }, commits && !planned.writesAfter);
      await planned.written(revision!);
      return toComment(comment);
    },

    /** With an Idempotency-Key, a retry returns the first response instead of commenting twice. */
    async create(principal: TenantPrincipal, ticketId: string, input: Schemas["CommentCreate"], options: { idempotencyKey?: string; requestId?: string }): Promise<Outcome<Comment>> {
      return idempotent(db, { caller: principal, key: options.idempotencyKey, operationId: "createComment", request: { ticketId, input } }, async (tx, last) => ({
        status: 201,
        body: await this.createIn(tx, principal, ticketId, input, contextOf(principal, options.requestId), { commits: last }),
      }));
    },

    async update(principal: TenantPrincipal, ticketId: string, commentId: string, input: Schemas["CommentUpdate"], requestId?: string): Promise<Comment> {
      await visibleTicket(principal, ticketId);
      return db.$transaction(async (tx) => {
        const comment = await visibleComment(tx, principal, ticketId, commentId);
        checkCanEdit(principal, comment);
        if (comment.deletedAt) throw problems.conflict("comment_deleted", "This comment is deleted.");
        if (comment.body === input.body) return toComment(comment);
        const edited = await tx.comment.update({ where: { tenantId_id: { tenantId: principal.tenantId, id: commentId } }, data: { body: input.body, editedAt: new Date() } });
        await appendEvent(tx, contextOf(principal, requestId), { ...event(principal, comment), type: "comment.updated", after: { ...commentFacts(edited), changed: ["body"] } });
        return toComment(edited);
      });
    },

    async remove(principal: TenantPrincipal, ticketId: string, commentId: string, requestId?: string): Promise<void> {
      await visibleTicket(principal, ticketId);
      await db.$transaction(async (tx) => {
        const comment = await visibleComment(tx, principal, ticketId, commentId);
        checkCanDelete(principal, comment);
        if (comment.deletedAt) return;
        await tx.comment.update({ where: { tenantId_id: { tenantId: principal.tenantId, id: commentId } }, data: { deletedAt: new Date() } });
        await appendEvent(tx, contextOf(principal, requestId), { ...event(principal, comment), type: "comment.deleted", before: commentFacts(comment) });
      });
    },
  };
}

export type CommentService = ReturnType<typeof createCommentService>;
