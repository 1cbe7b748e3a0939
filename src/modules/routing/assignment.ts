// Auto-assignment within a group. The candidates are the group's active, `online` agents who have
// every skill the ticket requires and room under their capacity (unsolved tickets assigned to
// them); the one with the most spare room wins, and among equals the one given a ticket longest
// ago (round-robin). A ticket nobody can take waits in the group's queue, which is drained, most
// urgent and then oldest first, whenever capacity frees up (see router.ts).
//
// Everything here runs inside the routing consumer's batch transaction (src/workers.ts): one
// consumer cursor means one decision-maker at a time across every instance, and each write is
// also guarded by the ticket's own state (`"assigneeId" IS NULL`), so a ticket someone assigned
// by hand meanwhile is never assigned twice.
import type { Db } from "../../db/client.ts";
import type { Schemas } from "../../core/contract-types.ts";
import { appendEvent, type RequestContext } from "../../events/event-log.ts";

export type RoutingDecision = Schemas["RoutingDecision"];
type Reason = RoutingDecision["reason"];

/** Unsolved: what counts against an agent's capacity, and what may wait in a queue. */
const UNSOLVED = `('open', 'pending', 'on_hold')`;
const CANDIDATES_SHOWN = 10;
/** A drain stops after this many tickets; the next capacity event continues it. */
const DRAIN_LIMIT = 500;
/** Routing acts as the system: its events name no user. */
export const SYSTEM: RequestContext = { actor: { type: "system" } };

interface MemberLoad {
  id: string;
  capacity: number;
  online: boolean;
  skills: string[];
  open: number;
  lastAssignedAt: Date | null;
}

/**
 * The group's agents with their current load ($1 tenant, $2 group): one index range scan of the
 * members, each joined to their user row and to the few rows of their open-ticket count, which a
 * trigger on "Ticket" keeps (see the AgentOpenCount model).
 */
export const LOADS_SQL = `SELECT u.id, u.capacity, u.availability = 'online' AS online, u.skills, COALESCE(c.open, 0) AS open, u."lastAssignedAt"
    FROM "GroupMember" m JOIN "User" u ON u."tenantId" = m."tenantId" AND u.id = m."userId"
    LEFT JOIN LATERAL (SELECT sum(n)::int AS open FROM "AgentOpenCount" c WHERE c."tenantId" = u."tenantId" AND c."userId" = u.id) c ON true
   WHERE m."tenantId" = $1::uuid AND m."groupId" = $2::uuid AND u.active AND u.role <> 'user'`;

async function memberLoads(db: Db, tenantId: string, groupId: string): Promise<MemberLoad[]> {
  return db.$queryRawUnsafe<MemberLoad[]>(LOADS_SQL, tenantId, groupId);
}

/** Most spare room first; among equals, the longest since their last assignment (never first); then by id, for a stable order. */
function byPreference(a: MemberLoad, b: MemberLoad): number {
  const room = b.capacity - b.open - (a.capacity - a.open);
  if (room !== 0) return room;
  const at = (a.lastAssignedAt?.getTime() ?? 0) - (b.lastAssignedAt?.getTime() ?? 0);
  if (at !== 0) return at;
  return a.id < b.id ? -1 : 1;
}

export interface Choice {
  assigneeId: string | null;
  decision: RoutingDecision;
}

/** Decides among the members, as loaded, who gets a ticket needing these skills. */
export function decide(members: readonly MemberLoad[], groupId: string, requiredSkills: readonly string[]): Choice {
  const available = members.filter((member) => member.online);
  const skilled = available.filter((member) => requiredSkills.every((skill) => member.skills.includes(skill)));
  const withRoom = skilled.filter((member) => member.open < member.capacity).sort(byPreference);
  const best = withRoom[0];
  let reason: Reason;
  if (best) reason = withRoom[1] && withRoom[1].capacity - withRoom[1].open === best.capacity - best.open ? "round_robin_tie" : "most_spare_capacity";
  else if (members.length === 0) reason = "no_member";
  else if (available.length === 0) reason = "no_available_member";
  else if (skilled.length === 0) reason = "no_skilled_member";
  else reason = "all_at_capacity";
  return {
    assigneeId: best?.id ?? null,
    decision: {
      groupId,
      requiredSkills: [...requiredSkills],
      reason,
      candidates: withRoom.slice(0, CANDIDATES_SHOWN).map((member) => ({ userId: member.id, openTickets: member.open, capacity: member.capacity })),
      considered: { members: members.length, available: available.length, skilled: skilled.length, withRoom: withRoom.length },
    },
  };
}

/** Decides who gets a ticket of this group needing these skills (reads the loads, writes nothing). */
export async function chooseAssignee(db: Db, tenantId: string, groupId: string, requiredSkills: readonly string[]): Promise<Choice> {
  return decide(await memberLoads(db, tenantId, groupId), groupId, requiredSkills);
}

/**
 * Gives the ticket to the chosen agent if it is still unassigned and waiting, and records why.
 * The ticket's public history shows the new assignee (ticket.updated); the decision itself goes
 * into an internal ticket.assigned, which staff and integrations see and requesters never do.
 */
export async function assign(db: Db, tenantId: string, ticketId: string, choice: Choice & { assigneeId: string }): Promise<boolean> {
  const updated = await db.$queryRawUnsafe<{ id: string }[]>(
    `UPDATE "Ticket" SET "assigneeId" = $3::uuid, version = version + 1, "updatedAt" = now()
      WHERE "tenantId" = $1::uuid AND id = $2::uuid AND "assigneeId" IS NULL AND "deletedAt" IS NULL AND status IN ${UNSOLVED}
      RETURNING id`,
    tenantId,
    ticketId,
    choice.assigneeId,
  );
  if (updated.length === 0) return false;
  // clock_timestamp(), not now(): several assignments in one transaction must still take turns.
  await db.$executeRawUnsafe(`UPDATE "User" SET "lastAssignedAt" = clock_timestamp() WHERE "tenantId" = $1::uuid AND id = $2::uuid`, tenantId, choice.assigneeId);
  const entity = { type: "ticket", id: ticketId };
  await appendEvent(db, SYSTEM, { tenantId, type: "ticket.updated", entity, ticketId, before: { assigneeId: null }, after: { assigneeId: choice.assigneeId } });
  await appendEvent(db, SYSTEM, {
    tenantId,
    type: "ticket.assigned",
    entity,
    ticketId,
    internal: true,
    before: { assigneeId: null },
    after: { assigneeId: choice.assigneeId, decision: choice.decision },
  });
  return true;
}

/** Assigns a ticket that just entered a group, or records that it waits in the group's queue. */
export async function assignOrQueue(db: Db, tenantId: string, ticketId: string, groupId: string, requiredSkills: readonly string[]): Promise<Choice> {
  const choice = await chooseAssignee(db, tenantId, groupId, requiredSkills);
  if (choice.assigneeId !== null && (await assign(db, tenantId, ticketId, { ...choice, assigneeId: choice.assigneeId }))) return choice;
  await appendEvent(db, SYSTEM, { tenantId, type: "ticket.queued", entity: { type: "ticket", id: ticketId }, ticketId, internal: true, after: { decision: choice.decision } });
  return choice;
}

/**
 * Assigns the group's waiting tickets, most urgent then oldest first, while anyone has room. The
 * loads are read once and kept up to date as tickets are given out. Tickets locked by a request
 * right now are skipped (that request's own event drains again). A ticket nobody with its skills
 * can take is passed over: the next may need other skills.
 */
export async function drainQueue(db: Db, tenantId: string, groupId: string): Promise<number> {
  const members = await memberLoads(db, tenantId, groupId);
  if (!members.some((member) => member.online && member.open < member.capacity)) return 0;
  const queued = await db.$queryRawUnsafe<{ id: string; requiredSkills: string[] | null }[]>(
    `SELECT id, "requiredSkills" FROM "Ticket"
      WHERE "tenantId" = $1::uuid AND "groupId" = $2::uuid AND "assigneeId" IS NULL AND "deletedAt" IS NULL AND status IN ${UNSOLVED}
      ORDER BY priority DESC, "createdAt" LIMIT ${DRAIN_LIMIT}
      FOR UPDATE SKIP LOCKED`,
    tenantId,
    groupId,
  );
  let assigned = 0;
  for (const ticket of queued) {
    const choice = decide(members, groupId, ticket.requiredSkills ?? []);
    if (choice.assigneeId === null) {
      if (!members.some((member) => member.online && member.open < member.capacity)) break;
      continue;
    }
    if (await assign(db, tenantId, ticket.id, { ...choice, assigneeId: choice.assigneeId })) {
      const member = members.find((candidate) => candidate.id === choice.assigneeId)!;
      member.open++;
      member.lastAssignedAt = new Date();
      assigned++;
    }
  }
  return assigned;
}
