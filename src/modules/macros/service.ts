// Macros: saved ticket changes plus an optional comment. Admins keep them; agents apply them. An
// application is the tickets service's change and the comments service's comment in one
// transaction, so its checks and events are exactly those of doing both by hand.
import type { Database, Db } from "../../db/client.ts";
import { isUniqueViolation } from "../../db/errors.ts";
import { appendEvent, changedFields, contextOf } from "../../events/event-log.ts";
import { requireRole, type TenantPrincipal } from "../../core/principal.ts";
import type { QueryOf, Schemas } from "../../core/contract-types.ts";
import { page, decodeCursor } from "../../core/cursor.ts";
import { idempotent, type Outcome } from "../../core/idempotency.ts";
import { problems } from "../../core/problem.ts";
import { Prisma } from "../../generated/prisma/client.ts";
import type { TicketService } from "../tickets/service.ts";
import type { CommentService } from "../comments/service.ts";
import { toMacro, type Macro } from "./representation.ts";

const checkCanRead = (principal: TenantPrincipal) => requireRole(principal, ["admin", "agent"], "use macros");
const checkCanManage = (principal: TenantPrincipal) => requireRole(principal, ["admin"], "manage macros");

const titleTaken = (title: string) => problems.conflict("macro_title_taken", `A macro titled ${title} already exists.`);

export function createMacroService(deps: { db: Database; tickets: TicketService; comments: CommentService }) {
  const { db, tickets, comments } = deps;

  async function find(tx: Db, tenantId: string, macroId: string) {
    const macro = await tx.macro.findUnique({ where: { tenantId_id: { tenantId, id: macroId } } });
    if (!macro) throw problems.notFound("macro", macroId);
    return macro;
  }

  return {
    /** By title (then id), the order an agent picks from. */
    async list(principal: TenantPrincipal, query: QueryOf<"listMacros">): Promise<Schemas["MacroList"]> {
      checkCanRead(principal);
      const limit = query.limit ?? 25;
      const after = decodeCursor(query.cursor, ["string", "uuid"] as const);
      const rows = await db.macro.findMany({
        where: { tenantId: principal.tenantId, ...(after ? { OR: [{ title: { gt: after[0] } }, { title: after[0], id: { gt: after[1] } }] } : {}) },
        orderBy: [{ title: "asc" }, { id: "asc" }],
        take: limit + 1,
      });
      const result = page(rows, limit, (row) => [row.title, row.id]);
      return { data: result.data.map(toMacro), nextCursor: result.nextCursor };
    },

    async get(principal: TenantPrincipal, macroId: string): Promise<Macro> {
      checkCanRead(principal);
      return toMacro(await find(db, principal.tenantId, macroId));
    },

    async create(principal: TenantPrincipal, input: Schemas["MacroCreate"], requestId?: string): Promise<Macro> {
      checkCanManage(principal);
      const tenantId = principal.tenantId;
      return db.$transaction(async (tx) => {
        let row;
        try {
          row = await tx.macro.create({
            data: {
              tenantId,
              title: input.title,
              description: input.description ?? "",
              active: input.active ?? true,
              changes: input.changes as Prisma.InputJsonValue,
              comment: input.comment ? { body: input.comment.body, internal: input.comment.internal ?? false } : Prisma.DbNull,
              createdById: principal.userId,
            },
          });
        } catch (error) {
          if (isUniqueViolation(error)) throw titleTaken(input.title);
          throw error;
        }
        const macro = toMacro(row);
        // The comment's words stay out of the log (they can be edited): the event says whether there is one.
        await appendEvent(tx, contextOf(principal, requestId), { tenantId, type: "macro.created", entity: { type: "macro", id: macro.id }, after: facts(macro) });
        return macro;
      });
    },

    async update(principal: TenantPrincipal, macroId: string, change: Schemas["MacroUpdate"], requestId?: string): Promise<Macro> {
      checkCanManage(principal);
      const tenantId = principal.tenantId;
      return db.$transaction(async (tx) => {
        const current = await find(tx, tenantId, macroId);
        let row;
        try {
          row = await tx.macro.update({
            where: { tenantId_id: { tenantId, id: macroId } },
            data: {
              title: change.title,
              description: change.description,
              active: change.active,
              changes: change.changes as Prisma.InputJsonValue | undefined,
              comment: change.comment === undefined ? undefined : change.comment === null ? Prisma.DbNull : { body: change.comment.body, internal: change.comment.internal ?? false },
            },
          });
        } catch (error) {
          if (isUniqueViolation(error)) throw titleTaken(change.title ?? current.title);
          throw error;
        }
        const after = toMacro(row);
        const diff = changedFields(facts(toMacro(current)), facts(after));
        if (Object.keys(diff.after).length > 0) await appendEvent(tx, contextOf(principal, requestId), { tenantId, type: "macro.updated", entity: { type: "macro", id: macroId }, ...diff });
        return after;
      });
    },

    async remove(principal: TenantPrincipal, macroId: string, requestId?: string): Promise<void> {
      checkCanManage(principal);
      const tenantId = principal.tenantId;
      await db.$transaction(async (tx) => {
        const current = toMacro(await find(tx, tenantId, macroId));
        await tx.macro.delete({ where: { tenantId_id: { tenantId, id: macroId } } });
        await appendEvent(tx, contextOf(principal, requestId), { tenantId, type: "macro.deleted", entity: { type: "macro", id: macroId }, before: facts(current) });
      });
    },

    /** The changes, then the comment (so "reply and solve" works), in one transaction; a retry with the same Idempotency-Key returns the first answer. */
    async apply(
      principal: TenantPrincipal,
      ticketId: string,
      macroId: string,
      options: { ifMatch?: string; idempotencyKey?: string; requestId?: string },
    ): Promise<Outcome<Schemas["MacroApplication"]>> {
      checkCanRead(principal);
      const context = contextOf(principal, options.requestId);
      return idempotent(db, { caller: principal, key: options.idempotencyKey, operationId: "applyMacro", request: { ticketId, macroId, ifMatch: options.ifMatch ?? null } }, async (tx) => {
        const macro = await tx.macro.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id: macroId } } });
        if (!macro) throw problems.notFound("macro", macroId);
        if (!macro.active) throw problems.conflict("macro_inactive", "This macro is inactive; an admin can activate it again.");
        const { changes, comment } = toMacro(macro);
        const changed = await tickets.updateIn(tx, principal, ticketId, changes, options.ifMatch, context, "/changes");
        const made = comment ? await comments.createIn(tx, principal, ticketId, { body: comment.body, internal: comment.internal ?? false }, context) : null;
        // A comment may have changed the ticket again (version, first response, reopening): only then read it as it now is.
        return { status: 200, body: { ticket: made ? await tickets.readIn(tx, principal, ticketId) : changed, comment: made } };
      });
    },
  };
}

/** What an event records of a macro: everything but the comment's words. */
function facts(macro: Macro) {
  const { comment, ...rest } = macro;
  return { ...rest, comment: comment ? { internal: comment.internal ?? false } : null };
}

export type MacroService = ReturnType<typeof createMacroService>;
