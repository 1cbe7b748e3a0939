// The `routing` consumer of the event feed (src/workers.ts). Its batch, its writes and its cursor
// commit together, and one instance at a time holds the cursor: a crash neither loses nor repeats
// a decision, and two instances never assign one ticket twice.
//
// For each batch:
//   1. New tickets are routed once, after their triage (ROUTE_ON_EVENT), or by the UNTRIAGED_JOB
//      when triage does not come in time (see triage.ts): the first matching rule sets group,
//      priority, tags and required skills; a ticket of a group is then assigned or queued.
//   2. Every group where capacity may have freed, or work arrived, has its queue drained: a ticket
//      solved, closed, deleted, unassigned or moved; an agent's capacity, availability or skills changed;
//      a group's members changed.
import { PREPARED_SQL, type Database, type Db } from "../../db/client.ts";
import { enqueueJobs, type NewJob } from "../../db/job-queue.ts";
import type { FeedEvent, FeedHandler } from "../../events/feed.ts";
import { appendEvent } from "../../events/event-log.ts";
import { assignOrQueue, drainQueue, SYSTEM } from "./assignment.ts";
import { firstMatch, type RoutingActions, type RoutingConditions } from "./rules.ts";
import { readTriage, ROUTE_ON_EVENT, UNTRIAGED_JOB } from "./triage.ts";
import type { TicketSlaRow } from "../sla/ticket-sla.ts";

/** The routing consumer of the feed (its cursor row is also the lock of every routing decision). */
export const ROUTING_CONSUMER = "routing";

const DONE = new Set(["solved", "closed"]);

interface TicketRow {
  id: string;
  status: TicketSlaRow["status"];
  priority: string;
  type: string | null;
  channel: string;
  tags: string[];
  assigneeId: string | null;
  groupId: string | null;
  requiredSkills: string[] | null;
  routedAt: Date | null;
  deletedAt: Date | null;
  sla: unknown;
}

interface RuleRow {
  id: string;
  conditions: RoutingConditions;
  actions: RoutingActions;
}

const key = (tenantId: string, id: string) => `${tenantId}/${id}`;
const field = (value: unknown, name: string): unknown => (value && typeof value === "object" ? (value as Record<string, unknown>)[name] : undefined);

/**
 * What else must follow a routed ticket's new fields in the same transaction (its SLA policy, which
 * they may choose); given the ticket as routing has just written it, so that it is not read again.
 */
export type TicketChanged = (db: Db, tenantId: string, ticketId: string, ticket: TicketSlaRow) => Promise<void>;

export interface RoutingOptions {
  triageWaitSeconds: number;
  ticketChanged?: TicketChanged;
}

/** The feed handler. */
export function routingHandler(options: RoutingOptions): FeedHandler {
  return (db, events) => routeEvents(db, events, options);
}

interface UntriagedJob {
  tenantId: string;
  ticketId: string;
}

/**
 * The job that routes a ticket whose triage has not come in time. It takes the routing
 * consumer's cursor row first, so it never decides while a batch does (one decision-maker).
 */
export function untriagedRoutingTasks(system: Database, ticketChanged?: TicketChanged): Record<string, (payload: unknown) => Promise<void>> {
  return {
    async [UNTRIAGED_JOB](payload) {
      const { tenantId, ticketId } = payload as UntriagedJob;
      // Almost always triage came first: look without the lock before taking it.
      const [ticket] = await system.$queryRawUnsafe<{ routedAt: Date | null }[]>(`SELECT "routedAt" FROM "Ticket" WHERE "tenantId" = $1::uuid AND id = $2::uuid`, tenantId, ticketId);
      if (!ticket || ticket.routedAt) return;
      await system.$transaction(
        async (tx) => {
          await tx.$executeRawUnsafe(`SELECT 1 FROM "EventConsumer" WHERE name = $1 FOR UPDATE`, ROUTING_CONSUMER);
          await routeTicket(tx, tenantId, ticketId, await activeRules(tx, tenantId), ticketChanged);
        },
        { timeout: 30_000, maxWait: 10_000 },
      );
    },
  };
}

async function activeRules(db: Db, tenantId: string): Promise<RuleRow[]> {
  return db.$queryRawUnsafe<RuleRow[]>(`SELECT id, conditions, actions FROM "RoutingRule" WHERE "tenantId" = $1::uuid AND active ORDER BY position, "createdAt"`, tenantId);
}

async function routeEvents(db: Db, events: readonly FeedEvent[], options: RoutingOptions): Promise<void> {
  const toRoute: FeedEvent[] = [];
  /** The batch's new tickets' fallback jobs, queued in one call. */
  const untriaged: NewJob[] = [];
  /** Tickets whose group, and whose current assignee's groups, may have work or room now. */
  const touchedTickets = new Map<string, { tenantId: string; ticketId: string }>();
  /** Agents who may have room now (their groups drain). */
  const agents = new Map<string, { tenantId: string; userId: string }>();
  const groups = new Map<string, { tenantId: string; groupId: string }>();
  const touch = (event: FeedEvent) => event.ticketId && touchedTickets.set(key(event.tenantId, event.ticketId), { tenantId: event.tenantId, ticketId: event.ticketId });
  const freeAgent = (tenantId: string, userId: unknown) => typeof userId === "string" && agents.set(key(tenantId, userId), { tenantId, userId });

  for (const event of events) {
    switch (event.type) {
      case ROUTE_ON_EVENT:
        toRoute.push(event);
        break;
      case "ticket.created":
        // Should triage not come in time, the ticket is routed without it.
        untriaged.push({
          task: UNTRIAGED_JOB,
          payload: { tenantId: event.tenantId, ticketId: event.entityId } satisfies UntriagedJob,
          options: { runAt: new Date(Date.now() + options.triageWaitSeconds * 1000), jobKey: `routing:${event.tenantId}:${event.entityId}`, maxAttempts: 5 },
        });
        break;
      case "ticket.status_changed":
      case "ticket.deleted":
      case "ticket.restored":
        touch(event);
        break;
      case "ticket.updated":
        if (field(event.after, "groupId") !== undefined) touch(event);
        break;
      case "ticket.assigned":
        // Our own decisions free nobody.
        if (field(event.after, "decision") !== undefined) break;
        freeAgent(event.tenantId, field(event.before, "assigneeId"));
        touch(event);
        break;
      case "user.updated":
        if (["capacity", "availability", "skills"].some((name) => field(event.after, name) !== undefined)) freeAgent(event.tenantId, event.entityId);
        break;
      case "user.reactivated":
        freeAgent(event.tenantId, event.entityId);
        break;
      case "group.updated":
      case "group.created":
        groups.set(key(event.tenantId, event.entityId), { tenantId: event.tenantId, groupId: event.entityId });
        break;
    }
  }
  await enqueueJobs(db, untriaged);

  const rulesByTenant = new Map<string, RuleRow[]>();
  for (const event of toRoute) {
    let rules = rulesByTenant.get(event.tenantId);
    if (!rules) {
      rules = await activeRules(db, event.tenantId);
      rulesByTenant.set(event.tenantId, rules);
    }
    await routeTicket(db, event.tenantId, event.entityId, rules, options.ticketChanged);
  }

  // One read for all the touched tickets, then one for all the freed agents' memberships, not one
  // per ticket or agent (this batch's transaction holds back every reader's horizon); the groups
  // are still taken in the batch's order.
  const touched = [...touchedTickets.values()];
  const ticketRows =
    touched.length === 0
      ? []
      : await db.$queryRaw<{ tenantId: string; id: string; groupId: string | null; assigneeId: string | null }[]>`${PREPARED_SQL}
          SELECT t."tenantId", t.id, t."groupId", t."assigneeId"
            FROM unnest(${touched.map((ticket) => ticket.tenantId)}::uuid[], ${touched.map((ticket) => ticket.ticketId)}::uuid[]) AS k("tenantId", id)
            JOIN "Ticket" t ON t."tenantId" = k."tenantId" AND t.id = k.id`;
  const tickets = new Map(ticketRows.map((row) => [key(row.tenantId, row.id), row]));
  for (const { tenantId, ticketId } of touched) {
    const ticket = tickets.get(key(tenantId, ticketId));
    if (!ticket) continue;
    if (ticket.groupId) groups.set(key(tenantId, ticket.groupId), { tenantId, groupId: ticket.groupId });
    freeAgent(tenantId, ticket.assigneeId);
  }
  const freed = [...agents.values()];
  const memberRows =
    freed.length === 0
      ? []
      : await db.$queryRaw<{ tenantId: string; userId: string; groupId: string }[]>`${PREPARED_SQL}
          SELECT m."tenantId", m."userId", m."groupId"
            FROM unnest(${freed.map((agent) => agent.tenantId)}::uuid[], ${freed.map((agent) => agent.userId)}::uuid[]) AS k("tenantId", "userId")
            JOIN "GroupMember" m ON m."tenantId" = k."tenantId" AND m."userId" = k."userId"`;
  const memberships = Map.groupBy(memberRows, (row) => key(row.tenantId, row.userId));
  for (const { tenantId, userId } of freed) {
    for (const { groupId } of memberships.get(key(tenantId, userId)) ?? []) groups.set(key(tenantId, groupId), { tenantId, groupId });
  }
  for (const { tenantId, groupId } of groups.values()) await drainQueue(db, tenantId, groupId);
}

/** Routes a new ticket once: the first matching rule's actions, then assignment within its group. */
async function routeTicket(db: Db, tenantId: string, ticketId: string, rules: readonly RuleRow[], ticketChanged?: TicketChanged): Promise<void> {
  const [ticket] = await db.$queryRawUnsafe<TicketRow[]>(
    `SELECT id, status, priority, type, channel, tags, "assigneeId", "groupId", "requiredSkills", "routedAt", "deletedAt", sla
       FROM "Ticket" WHERE "tenantId" = $1::uuid AND id = $2::uuid FOR NO KEY UPDATE`,
    tenantId,
    ticketId,
  );
  if (!ticket || ticket.routedAt || ticket.deletedAt || DONE.has(ticket.status)) return;
  const triage = await readTriage(db, tenantId, ticketId);
  const rule = firstMatch(rules, ticket, triage);
  const actions = rule?.actions ?? {};
  // A group staff chose when opening the ticket stands; a rule fills in only what is unset.
  const groupId = ticket.groupId ?? actions.groupId ?? null;
  const priority = actions.priority ?? ticket.priority;
  const tags = [...new Set([...ticket.tags, ...(actions.addTags ?? []).map((tag) => tag.toLowerCase())])];
  const requiredSkills = [...new Set([...(ticket.requiredSkills ?? []), ...(actions.requiredSkills ?? []), ...(triage?.requiredSkills ?? [])])];

  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  if (groupId !== ticket.groupId) [before.groupId, after.groupId] = [ticket.groupId, groupId];
  if (priority !== ticket.priority) [before.priority, after.priority] = [ticket.priority, priority];
  if (tags.length !== ticket.tags.length) [before.tags, after.tags] = [ticket.tags, tags];
  const changed = Object.keys(after).length > 0;
  await db.$executeRawUnsafe(
    `UPDATE "Ticket" SET "groupId" = $3::uuid, priority = $4::"TicketPriority", tags = $5::text[], "requiredSkills" = $6::text[], "routedAt" = now()
       ${changed ? `, version = version + 1, "updatedAt" = now()` : ""}
      WHERE "tenantId" = $1::uuid AND id = $2::uuid`,
    tenantId,
    ticketId,
    groupId,
    priority,
    tags,
    requiredSkills,
  );
  const entity = { type: "ticket", id: ticketId };
  if (changed) {
    await appendEvent(db, SYSTEM, { tenantId, type: "ticket.updated", entity, ticketId, before, after });
    const written = { status: ticket.status, priority, type: ticket.type, channel: ticket.channel, groupId, tags, sla: ticket.sla, deletedAt: ticket.deletedAt };
    await ticketChanged?.(db, tenantId, ticketId, written);
  }
  // Only where there is something to explain: a tenant without rules or groups sees no routing events.
  if (rule || groupId) {
    await appendEvent(db, SYSTEM, { tenantId, type: "ticket.routed", entity, ticketId, internal: true, after: { ruleId: rule?.id ?? null, groupId, requiredSkills, triaged: triage !== null } });
  }
  if (groupId && !ticket.assigneeId) await assignOrQueue(db, tenantId, ticketId, groupId, requiredSkills);
}
