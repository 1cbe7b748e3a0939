// Tickets: creation with per-tenant numbers, changes through the workflow with optimistic
// concurrency, soft delete, bulk changes and stats. Every change appends its events in the same
// transaction. Every query names the principal's tenant.
import type pg from "pg";
import { COMMITS_SQL, type Database, type Db } from "../../db/client.ts";
import { COMMIT_WITHOUT_WAITING, waitForFlush } from "../../db/early-commit.ts";
import { Prisma, type TicketStatus } from "../../generated/prisma/client.ts";
import { v7 as uuidv7 } from "uuid";
import { appendEvent, changedFields, contextOf, eventRow, insertEventSql, type RequestContext } from "../../events/event-log.ts";
import type { TenantPrincipal } from "../../core/principal.ts";
import type { QueryOf, Schemas } from "../../core/contract-types.ts";
import { etagNamesVersion, etagOf } from "../../core/etag.ts";
import { idempotent, type Outcome } from "../../core/idempotency.ts";
import { problems, Problem, type ProblemField } from "../../core/problem.ts";
import { listTickets } from "./listing.ts";
import { canSee, checkCreate, checkUpdate, checkCanBulkUpdate, checkCanDelete, checkCanReadStats, checkCanRestore } from "./policy.ts";
import { toTicket, toTicketForCaller, type Ticket, type TicketForCaller, type TicketRecord } from "./representation.ts";
import { seesInternal, UNREAD_JOIN_TEXT } from "./unread.ts";
import { checkTransition, statusTimestamps } from "./workflow.ts";
import type { SlaPlan, TicketSla } from "../sla/ticket-sla.ts";

const METADATA_MAX_BYTES = 8192;
const UNSOLVED: TicketStatus[] = ["open", "pending", "on_hold"];

type TicketStats = Schemas["TicketStats"];
interface StatsRow {
  byStatus: Partial<TicketStats["byStatus"]>;
  byPriority: Partial<TicketStats["byPriority"]>;
  byAssignee: TicketStats["byAssignee"];
  unassigned: number;
  overdue: number;
}

/** Everything a change to a ticket can carry: PATCH fields plus bulk's tag edits. */
export interface TicketChange {
  title?: string;
  description?: string;
  status?: TicketStatus;
  priority?: Schemas["TicketPriority"];
  type?: Schemas["TicketType"] | null;
  requesterId?: string;
  assigneeId?: string | null;
  groupId?: string | null;
  tags?: string[];
  addTags?: string[];
  removeTags?: string[];
  dueAt?: string | null;
  metadata?: Record<string, unknown>;
}

function normaliseTags(tags: readonly string[]): string[] {
  return [...new Set(tags.map((tag) => tag.trim().toLowerCase()))];
}

function checkMetadata(metadata: Record<string, unknown> | undefined): void {
  if (metadata !== undefined && Buffer.byteLength(JSON.stringify(metadata)) > METADATA_MAX_BYTES) {
    throw problems.invalidField("/metadata", `must be at most ${METADATA_MAX_BYTES} bytes as JSON`);
  }
}

/** The assignee must be an active agent or admin of the tenant. */
async function checkAssignee(db: Db, tenantId: string, userId: string, pointer: string): Promise<void> {
  const user = await db.user.findUnique({ where: { tenantId_id: { tenantId, id: userId } }, select: { role: true, active: true } });
  if (!user || !user.active || user.role === "user") throw problems.invalidField(pointer, "is not an active agent or admin of this tenant");
}

async function checkGroup(db: Db, tenantId: string, groupId: string, pointer: string): Promise<void> {
  const group = await db.group.findUnique({ where: { tenantId_id: { tenantId, id: groupId } }, select: { id: true } });
  if (!group) throw problems.invalidField(pointer, "is not a group of this tenant");
}

async function checkRequester(db: Db, tenantId: string, userId: string, pointer: string): Promise<void> {
  const user = await db.user.findUnique({ where: { tenantId_id: { tenantId, id: userId } }, select: { active: true } });
  if (!user || !user.active) throw problems.invalidField(pointer, "is not an active user of this tenant");
}

/**
 * Reads a ticket the principal may see, locking it for the rest of the transaction. NO KEY UPDATE
 * (what an UPDATE of it takes anyway): it serialises changes to the ticket, yet lets rows that
 * point at it be written meanwhile (their foreign-key check takes KEY SHARE), so the SLA timer
 * worker recording a breach never deadlocks with a change to the same ticket.
 */
export async function lockVisibleTicket(tx: Db, principal: TenantPrincipal, ticketId: string): Promise<TicketRecord> {
  const [ticket] = await tx.$queryRaw<TicketRecord[]>`
    SELECT ${TICKET_RECORD_COLUMNS} FROM "Ticket" WHERE "tenantId" = ${principal.tenantId}::uuid AND id = ${ticketId}::uuid FOR NO KEY UPDATE`;
  if (!ticket || !canSee(principal, ticket)) throw problems.notFound("ticket", ticketId);
  return ticket;
}

/** Every column of a TicketRecord (the model's, without the search vector), for raw reads of whole rows. */
const TICKET_RECORD_COLUMNS = Prisma.raw(`"tenantId", id, number, title, description, status, priority, type, channel, "requesterId", "assigneeId", "groupId", "requiredSkills", "routedAt",
  tags, "dueAt", metadata, version, "createdAt", "updatedAt", "firstResponseAt", "solvedAt", "closedAt", "deletedAt", "slaPolicyId", sla, "nextBreachAt", "slaRevision"`);

/** The columns a change to a ticket may set, as applyChange builds them. */
type TicketColumns = Partial<Pick<TicketRecord, "title" | "description" | "priority" | "type" | "status" | "solvedAt" | "closedAt" | "assigneeId" | "groupId" | "requesterId" | "tags" | "dueAt" | "metadata">>;

/** Each column's assignment, with the cast PostgreSQL needs for a parameter of its type. */
const ASSIGN: { [K in keyof Required<TicketColumns>]: (value: TicketColumns[K]) => Prisma.Sql } = {
  title: (value) => Prisma.sql`title = ${value}`,
  description: (value) => Prisma.sql`description = ${value}`,
  priority: (value) => Prisma.sql`priority = ${value}::"TicketPriority"`,
  type: (value) => Prisma.sql`type = ${value}::"TicketType"`,
  status: (value) => Prisma.sql`status = ${value}::"TicketStatus"`,
  solvedAt: (value) => Prisma.sql`"solvedAt" = ${value}::timestamptz`,
  closedAt: (value) => Prisma.sql`"closedAt" = ${value}::timestamptz`,
  assigneeId: (value) => Prisma.sql`"assigneeId" = ${value}::uuid`,
  groupId: (value) => Prisma.sql`"groupId" = ${value}::uuid`,
  requesterId: (value) => Prisma.sql`"requesterId" = ${value}::uuid`,
  tags: (value) => Prisma.sql`tags = ${value}::text[]`,
  dueAt: (value) => Prisma.sql`"dueAt" = ${value}::timestamptz`,
  metadata: (value) => Prisma.sql`metadata = ${JSON.stringify(value)}::jsonb`,
};

/**
 * Applies a change to a locked ticket: workflow, assignee and requester checks, then one statement
 * that updates the row, bumping the version, and writes its events (the field-level diff, plus the
 * status and assignment events integrations subscribe to) and, given `planSla`, its SLA as the
 * change leaves it (sla.plan). The row is locked, so the ticket after the change is known before it
 * is written: the row is written once and the events go in the same round trip. Returns the ticket
 * unchanged when nothing differs. With `commits` (nothing follows the change in the caller's
 * transaction), that statement also commits the transaction unless the SLA's timers follow it.
 */
export async function applyChange(
  tx: Db,
  principal: TenantPrincipal,
  current: TicketRecord,
  change: TicketChange,
  context: RequestContext,
  pointerBase = "",
  planSla?: (after: TicketRecord) => Promise<SlaPlan>,
  options: { commits?: boolean } = {},
): Promise<TicketRecord> {
  const tenantId = principal.tenantId;
  const now = new Date();
  const data: TicketColumns = {};
  if (change.title !== undefined && change.title !== current.title) data.title = change.title;
  if (change.description !== undefined && change.description !== current.description) data.description = change.description;
  if (change.priority !== undefined && change.priority !== current.priority) data.priority = change.priority;
  if (change.type !== undefined && change.type !== current.type) data.type = change.type;
  if (change.status !== undefined && change.status !== current.status) {
    checkTransition(current.status, change.status, `${pointerBase}/status`);
    data.status = change.status;
    Object.assign(data, statusTimestamps(change.status, now));
  }
  if (change.assigneeId !== undefined && change.assigneeId !== current.assigneeId) {
    if (change.assigneeId !== null) await checkAssignee(tx, tenantId, change.assigneeId, `${pointerBase}/assigneeId`);
    data.assigneeId = change.assigneeId;
  }
  if (change.groupId !== undefined && change.groupId !== current.groupId) {
    if (change.groupId !== null) await checkGroup(tx, tenantId, change.groupId, `${pointerBase}/groupId`);
    data.groupId = change.groupId;
  }
  if (change.requesterId !== undefined && change.requesterId !== current.requesterId) {
    await checkRequester(tx, tenantId, change.requesterId, `${pointerBase}/requesterId`);
    data.requesterId = change.requesterId;
  }
  let tags = change.tags !== undefined ? normaliseTags(change.tags) : current.tags;
  if (change.addTags) tags = normaliseTags([...tags, ...change.addTags]);
  if (change.removeTags) {
    const removed = new Set(normaliseTags(change.removeTags));
    tags = tags.filter((tag) => !removed.has(tag));
  }
  if (JSON.stringify(tags) !== JSON.stringify(current.tags)) data.tags = tags;
  if (change.dueAt !== undefined && (change.dueAt === null ? current.dueAt !== null : new Date(change.dueAt).getTime() !== current.dueAt?.getTime())) {
    data.dueAt = change.dueAt === null ? null : new Date(change.dueAt);
  }
  if (change.metadata !== undefined) {
    checkMetadata(change.metadata);
    if (JSON.stringify(change.metadata) !== JSON.stringify(current.metadata)) data.metadata = change.metadata as Prisma.JsonObject;
  }
  const columns = Object.keys(data) as (keyof TicketColumns)[];
  if (columns.length === 0) return current;

  const next: TicketRecord = { ...current, ...data, version: current.version + 1, updatedAt: now, sla: structuredClone(current.sla) };
  const before = toTicket(current);
  const after = toTicket(next);
  const entity = { type: "ticket", id: current.id };
  const diff = changedFields(before, after);
  delete diff.before.version;
  delete diff.after.version;
  const events = [eventRow(context, { tenantId, type: "ticket.updated", entity, ticketId: current.id, ...diff })];
  if (before.status !== after.status) {
    events.push(eventRow(context, { tenantId, type: "ticket.status_changed", entity, ticketId: current.id, before: { status: before.status }, after: { status: after.status } }));
  }
  if (before.assigneeId !== after.assigneeId) {
    events.push(eventRow(context, { tenantId, type: "ticket.assigned", entity, ticketId: current.id, before: { assigneeId: before.assigneeId }, after: { assigneeId: after.assigneeId } }));
  }
  const assignments = columns.map((column) => (ASSIGN[column] as (value: unknown) => Prisma.Sql)(data[column]));
  // The SLA as the change leaves the ticket, written by the same UPDATE.
  const sla = planSla ? await planSla(next) : undefined;
  if (sla) assignments.push(sla.assignments);
  const commits = options.commits === true && !sla?.writesAfter;
  const [updated] = await tx.$queryRaw<TicketRecord[]>`
    ${commits ? COMMITS_SQL : Prisma.empty}WITH events AS (${insertEventSql(...events)})
    UPDATE "Ticket" SET ${Prisma.join(assignments, ", ")}, version = version + 1, "updatedAt" = ${now}::timestamptz
     WHERE "tenantId" = ${tenantId}::uuid AND id = ${current.id}::uuid
    RETURNING ${TICKET_RECORD_COLUMNS}`;
  if (!updated) throw new Error(`ticket ${current.id} vanished while locked`);
  await sla?.written(updated.slaRevision);
  return updated;
}

/** The hottest read of the product, as one prepared statement on the raw pool (see get), with the reader's unread count. */
export const TICKET_BY_ID = `SELECT t."tenantId", t.id, t.number, t.title, t.description, t.status, t.priority, t.type, t.channel, t."requesterId", t."assigneeId", t."groupId", t.tags,
  t."dueAt", t.metadata, t.version, t."createdAt", t."updatedAt", t."firstResponseAt", t."solvedAt", t."closedAt", t."deletedAt", t.sla, t."nextBreachAt", unread."unreadCount"
  FROM "Ticket" t ${UNREAD_JOIN_TEXT} WHERE t."tenantId" = $1 AND t.id = $2`;

export function createTicketService(db: Database, pool: pg.Pool, sla: TicketSla) {
  /** Staff see each ticket's SLA clocks (requesters see nothing of them, as in Zendesk). */
  async function withSla(principal: TenantPrincipal, tickets: TicketForCaller[], rows: readonly TicketRecord[]): Promise<TicketForCaller[]> {
    if (principal.role === "user") return tickets;
    const views = await sla.views(db, principal.tenantId, rows);
    return tickets.map((ticket) => ({ ...ticket, ...views.get(ticket.id) }));
  }

  return {
    /**
     * With an Idempotency-Key, a retry returns the first response instead of opening a second ticket.
     * The transaction lets go of the tenant's numbering lock at its commit without waiting for the
     * flush, and the request waits for the flush before it answers (src/db/early-commit.ts): the
     * next creation in the tenant need not queue behind this one's disk write.
     */
    async create(principal: TenantPrincipal, input: Schemas["TicketCreate"], options: { idempotencyKey?: string; requestId?: string }): Promise<Outcome<Ticket>> {
      const outcome = await idempotent(db, { caller: principal, key: options.idempotencyKey, operationId: "createTicket", request: input }, async (tx, last) => ({
        status: 201,
        body: await this.createIn(tx, principal, input, contextOf(principal, options.requestId), { commitWithoutWaiting: true, commits: last }),
      }));
      // A replay too: the first request's commit may still be on its way to disk.
      await waitForFlush(pool);
      return outcome;
    },

    /**
     * Opens a ticket in the caller's transaction. `commitWithoutWaiting` is for a caller that
     * waits for the flush itself after the commit (see create); any other commit stays synchronous.
     * With `commits` (nothing follows in the caller's transaction), the numbering statement also
     * commits it unless SLA timers follow: the numbering lock is then let go in the same round trip.
     */
    async createIn(
      tx: Db,
      principal: TenantPrincipal,
      input: Schemas["TicketCreate"],
      context: RequestContext,
      options: { commitWithoutWaiting?: boolean; commits?: boolean } = {},
    ): Promise<Ticket> {
      checkCreate(principal, input);
      checkMetadata(input.metadata);
      const tenantId = principal.tenantId;
      const requesterId = input.requesterId ?? principal.userId;
      if (requesterId !== principal.userId) await checkRequester(tx, tenantId, requesterId, "/requesterId");
      if (input.assigneeId) await checkAssignee(tx, tenantId, input.assigneeId, "/assigneeId");
      if (input.groupId) await checkGroup(tx, tenantId, input.groupId, "/groupId");
      const status = input.status ?? "open";
      const tags = normaliseTags(input.tags ?? []);
      // The SLA's policy and clocks, chosen before the numbering lock is taken (one read).
      const clocks = await sla.start(tx, tenantId, { status, priority: input.priority ?? "normal", type: input.type ?? null, channel: input.channel ?? "api", groupId: input.groupId ?? null, tags });
      const now = new Date();
      const row: TicketRecord = {
        tenantId,
        id: uuidv7(),
        number: 0, // the tenant's next, given in the statement that writes the row
        title: input.title,
        description: input.description ?? "",
        status,
        priority: input.priority ?? "normal",
        type: input.type ?? null,
        channel: input.channel ?? "api",
        requesterId,
        assigneeId: input.assigneeId ?? null,
        groupId: input.groupId ?? null,
        tags,
        dueAt: input.dueAt ? new Date(input.dueAt) : null,
        metadata: (input.metadata ?? {}) as Prisma.JsonObject,
        version: 1,
        createdAt: now,
        updatedAt: now,
        firstResponseAt: null,
        solvedAt: null,
        closedAt: null,
        deletedAt: null,
        requiredSkills: [], // routing's, set when the ticket is routed
        routedAt: null,
        slaPolicyId: clocks.columns.slaPolicyId,
        sla: clocks.columns.sla as Prisma.JsonValue,
        nextBreachAt: clocks.columns.nextBreachAt,
        slaRevision: 0,
      };
      const event = eventRow(context, { tenantId, type: "ticket.created", entity: { type: "ticket", id: row.id }, ticketId: row.id, after: toTicket(row) });
      const number = await insertNumbered(tx, row, event, { commitWithoutWaiting: options.commitWithoutWaiting ?? false, commits: (options.commits ?? false) && !clocks.writesAfter });
      // Its SLA timers, once the row exists (under the numbering lock, a statement or two).
      await clocks.planTimers(row.id);
      return { ...toTicket(row), number };
    },

    async list(principal: TenantPrincipal, query: QueryOf<"listTickets">): Promise<Schemas["TicketList"]> {
      const { page, rows } = await listTickets(db, principal, query);
      return { ...page, data: await withSla(principal, page.data, rows) };
    },

    /** Served by node-postgres directly: Prisma's per-query overhead was a seventh of this request's CPU. */
    async get(principal: TenantPrincipal, ticketId: string): Promise<TicketForCaller> {
      const { rows } = await pool.query<TicketRecord & { unreadCount: number }>({
        name: "ticket-by-id",
        text: TICKET_BY_ID,
        values: [principal.tenantId, ticketId, principal.userId, seesInternal(principal)],
      });
      const ticket = rows[0];
      if (!ticket || !canSee(principal, ticket)) throw problems.notFound("ticket", ticketId);
      const [shown] = await withSla(principal, [toTicketForCaller(ticket)], [ticket]);
      return shown!;
    },

    async update(principal: TenantPrincipal, ticketId: string, change: Schemas["TicketUpdate"], ifMatch: string | undefined, requestId?: string): Promise<Ticket> {
      checkUpdate(principal, change);
      return db.$transaction(async (tx) => this.updateIn(tx, principal, ticketId, change, ifMatch, contextOf(principal, requestId), "", { commits: true }));
    },

    /**
     * A change inside the caller's transaction (a macro's, for one): lock, If-Match, workflow,
     * events. With `commits`, nothing follows it in that transaction (applyChange).
     */
    async updateIn(
      tx: Db,
      principal: TenantPrincipal,
      ticketId: string,
      change: TicketChange,
      ifMatch: string | undefined,
      context: RequestContext,
      pointerBase = "",
      options: { commits?: boolean } = {},
    ): Promise<Ticket> {
      const current = await lockVisibleTicket(tx, principal, ticketId);
      if (current.deletedAt) throw problems.conflict("ticket_deleted", "This ticket is deleted; restore it before changing it.");
      if (ifMatch !== undefined && !etagNamesVersion(ifMatch, current.version)) {
        throw problems.preconditionFailed(`The ticket changed since ETag ${ifMatch}; it is now ${etagOf(current.version)}. Read it again and reapply your change.`);
      }
      const updated = await applyChange(tx, principal, current, change, context, pointerBase, (after) => sla.plan(tx, principal.tenantId, ticketId, after), options);
      return toTicket(updated);
    },

    /** The ticket as the caller's transaction sees it now. */
    async readIn(tx: Db, principal: TenantPrincipal, ticketId: string): Promise<Ticket> {
      const ticket = await tx.ticket.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id: ticketId } } });
      if (!ticket || !canSee(principal, ticket)) throw problems.notFound("ticket", ticketId);
      return toTicket(ticket);
    },

    async remove(principal: TenantPrincipal, ticketId: string, requestId?: string): Promise<void> {
      checkCanDelete(principal);
      await db.$transaction(async (tx) => {
        const current = await lockVisibleTicket(tx, principal, ticketId);
        if (current.deletedAt) return;
        const deleted = await tx.ticket.update({ where: { tenantId_id: { tenantId: principal.tenantId, id: ticketId } }, data: { deletedAt: new Date(), version: { increment: 1 } } });
        await appendEvent(tx, contextOf(principal, requestId), {
          tenantId: principal.tenantId,
          type: "ticket.deleted",
          entity: { type: "ticket", id: ticketId },
          ticketId,
          // The deletion, not a copy of the ticket: readers see the ticket itself, if they may.
          before: { deletedAt: null },
          after: { deletedAt: toTicket(deleted).deletedAt },
        });
        // A deleted ticket breaches nothing: its timers go and it leaves the nextBreachAt list.
        await sla.sync(tx, principal.tenantId, ticketId, undefined, deleted);
      });
    },

    async restore(principal: TenantPrincipal, ticketId: string, requestId?: string): Promise<Ticket> {
      checkCanRestore(principal);
      return db.$transaction(async (tx) => {
        const current = await lockVisibleTicket(tx, principal, ticketId);
        if (!current.deletedAt) return toTicket(current);
        const restored = await tx.ticket.update({ where: { tenantId_id: { tenantId: principal.tenantId, id: ticketId } }, data: { deletedAt: null, version: { increment: 1 } } });
        await appendEvent(tx, contextOf(principal, requestId), {
          tenantId: principal.tenantId,
          type: "ticket.restored",
          entity: { type: "ticket", id: ticketId },
          ticketId,
          before: { deletedAt: toTicket(current).deletedAt },
          after: { deletedAt: null },
        });
        await sla.sync(tx, principal.tenantId, ticketId, undefined, restored);
        return toTicket(restored);
      });
    },

    /** All or nothing: the first failing ticket aborts the transaction, and every failure is reported. */
    async bulkUpdate(principal: TenantPrincipal, input: Schemas["BulkTicketUpdate"], requestId?: string): Promise<Schemas["BulkTicketResult"]> {
      checkCanBulkUpdate(principal);
      const context = contextOf(principal, requestId);
      return db.$transaction(async (tx) => {
        // Lock in id order so two overlapping bulk changes cannot deadlock.
        await tx.$executeRaw`SELECT 1 FROM "Ticket" WHERE "tenantId" = ${principal.tenantId}::uuid AND id = ANY(${input.ticketIds}::uuid[]) ORDER BY id FOR NO KEY UPDATE`;
        const rows = await tx.ticket.findMany({ where: { tenantId: principal.tenantId, id: { in: input.ticketIds }, deletedAt: null } });
        const byId = new Map(rows.map((row) => [row.id, row]));
        const missing: ProblemField[] = input.ticketIds.flatMap((id, index) => (byId.has(id) ? [] : [{ pointer: `/ticketIds/${index}`, detail: `no ticket ${id}` }]));
        if (missing.length > 0) throw new Problem(404, "not_found", "Not found", `${missing.length} of the tickets do not exist; nothing was changed.`, { errors: missing });

        const failures: ProblemField[] = [];
        if (input.changes.status !== undefined) {
          input.ticketIds.forEach((id, index) => {
            try {
              checkTransition(byId.get(id)!.status, input.changes.status!);
            } catch (error) {
              failures.push({ pointer: `/ticketIds/${index}`, detail: (error as Problem).message });
            }
          });
        }
        if (failures.length > 0) throw problems.conflict("bulk_update_rejected", `${failures.length} of the tickets cannot take this change; nothing was changed.`, failures);

        const results: Schemas["BulkTicketResult"]["results"] = [];
        for (const id of input.ticketIds) {
          const before = byId.get(id)!;
          const after = await applyChange(tx, principal, before, input.changes, context, "/changes", (next) => sla.plan(tx, principal.tenantId, id, next));
          results.push({ ticketId: id, result: after === before ? "unchanged" : "updated", ticket: toTicket(after) });
        }
        return { results };
      });
    },

    async stats(principal: TenantPrincipal): Promise<Schemas["TicketStats"]> {
      checkCanReadStats(principal);
      const tenantId = principal.tenantId;
      // One statement over one snapshot: the counts agree with one another, and a stats request
      // takes one pool connection, not four. The CTE is read once (PostgreSQL materializes a CTE
      // referenced more than once).
      const [row] = await db.$queryRaw<StatsRow[]>`
        WITH live AS (
          SELECT status, priority, "assigneeId", "dueAt", status = ANY(${UNSOLVED}::"TicketStatus"[]) AS unsolved
            FROM "Ticket" WHERE "tenantId" = ${tenantId}::uuid AND "deletedAt" IS NULL
        )
        SELECT
          (SELECT coalesce(json_object_agg(status, n), '{}') FROM (SELECT status, count(*)::int AS n FROM live GROUP BY status) s) AS "byStatus",
          (SELECT coalesce(json_object_agg(priority, n), '{}') FROM (SELECT priority, count(*)::int AS n FROM live WHERE unsolved GROUP BY priority) p) AS "byPriority",
          (SELECT coalesce(json_agg(json_build_object('assigneeId', "assigneeId", 'count', n) ORDER BY n DESC, "assigneeId"), '[]')
             FROM (SELECT "assigneeId", count(*)::int AS n FROM live WHERE unsolved AND "assigneeId" IS NOT NULL GROUP BY "assigneeId") a) AS "byAssignee",
          (SELECT count(*)::int FROM live WHERE unsolved AND "assigneeId" IS NULL) AS unassigned,
          (SELECT count(*)::int FROM live WHERE unsolved AND "dueAt" < now()) AS overdue`;
      const byStatus = { open: 0, pending: 0, on_hold: 0, solved: 0, closed: 0, ...row?.byStatus };
      const byPriority = { low: 0, normal: 0, high: 0, urgent: 0, ...row?.byPriority };
      return {
        total: Object.values(byStatus).reduce((sum, count) => sum + count, 0),
        byStatus,
        byPriority,
        byAssignee: row?.byAssignee ?? [],
        unassigned: row?.unassigned ?? 0,
        overdue: row?.overdue ?? 0,
      };
    },
  };
}

export type TicketService = ReturnType<typeof createTicketService>;

/**
 * Numbers and writes a new ticket and its event in one statement, so the tenant row's lock, which
 * serialises numbering within the tenant (gapless, in commit order), is held from this statement to
 * the commit only: not across the round trips of separate inserts. The event's payload is the
 * ticket as built in JS, given its number here. Returns the number.
 */
async function insertNumbered(tx: Db, row: TicketRecord, event: ReturnType<typeof eventRow>, options: { commitWithoutWaiting: boolean; commits: boolean }): Promise<number> {
  const { commitWithoutWaiting, commits } = options;
  const [numbered] = await tx.$queryRaw<{ number: number }[]>`
    ${commits ? COMMITS_SQL : Prisma.empty}WITH counter AS (
      UPDATE "Tenant" SET "lastTicketNumber" = "lastTicketNumber" + 1 WHERE id = ${row.tenantId}::uuid RETURNING "lastTicketNumber" AS number
    ), ticket AS (
      INSERT INTO "Ticket" ("tenantId", id, number, title, description, status, priority, type, channel, "requesterId", "assigneeId", "groupId", tags, "dueAt", metadata, version, "createdAt", "updatedAt", "slaPolicyId", sla, "nextBreachAt")
      SELECT ${row.tenantId}::uuid, ${row.id}::uuid, counter.number, ${row.title}, ${row.description}, ${row.status}::"TicketStatus", ${row.priority}::"TicketPriority",
             ${row.type}::"TicketType", ${row.channel}::"TicketChannel", ${row.requesterId}::uuid, ${row.assigneeId}::uuid, ${row.groupId}::uuid, ${row.tags}::text[], ${row.dueAt}::timestamptz,
             ${JSON.stringify(row.metadata)}::jsonb, ${row.version}, ${row.createdAt}::timestamptz, ${row.updatedAt}::timestamptz,
             ${row.slaPolicyId}::uuid, ${row.sla === null ? null : JSON.stringify(row.sla)}::jsonb, ${row.nextBreachAt}::timestamptz
        FROM counter
      RETURNING number
    ), event AS (
      INSERT INTO "Event" ("tenantId", id, type, "actorType", "actorId", "entityType", "entityId", after, "requestId", "ticketId", internal)
      SELECT ${event.tenantId}::uuid, ${uuidv7()}::uuid, ${event.type}, ${event.actorType}::"ActorType", ${event.actorId}::uuid, ${event.entityType}, ${event.entityId}::uuid,
             ${JSON.stringify(event.after)}::jsonb || jsonb_build_object('number', ticket.number), ${event.requestId}, ${event.ticketId}::uuid, ${event.internal}
        FROM ticket
    )
    SELECT number${commitWithoutWaiting ? Prisma.raw(`, ${COMMIT_WITHOUT_WAITING}`) : Prisma.empty} FROM ticket`;
  if (!numbered) throw new Error(`tenant ${row.tenantId} not found while numbering a ticket`);
  return numbered.number;
}
