// A ticket's SLA: kept with the ticket (Ticket.sla) as the policy's targets for its priority, the
// schedule they count in, and the ticket's timeline; the clocks are computed from these whenever the
// ticket changes (to plan its timers and nextBreachAt) and whenever staff read it.
import { PREPARED_SQL, type Db } from "../../db/client.ts";
import { Prisma } from "../../generated/prisma/client.ts";
import { businessClock, calendarClock, type Clock, type ScheduleDefinition } from "./business-time.ts";
import { appendFact, cyclesOf, latestStates, nextBreachOf, statesOf, type Fact, type MetricState, type Status, type Target, type Targets } from "./calculator.ts";
import { matchingPolicy, type PolicyRow, type TicketFields } from "./matching.ts";
import { recordMoments, type Moment } from "./moments.ts";
import type { Schemas } from "../../core/contract-types.ts";

/** Where new SLA timers are announced at commit, so the timer worker wakes for one due sooner than it planned. */
export const SLA_TIMERS_CHANNEL = "docket_sla_timers";

/** What Ticket.sla holds. */
export interface SlaRecord {
  policyId: string | null;
  scheduleId: string | null;
  targets: Targets;
  warningMinutes: number;
  /** The fields the policy was chosen by: a change to one chooses again. */
  matched: TicketFields;
  /** The status the timeline last recorded. */
  status: Status;
  facts: Fact[];
}

/** What a reply does to the clocks: an agent's public reply, or the requester's public comment. */
export type ReplyBy = "agent" | "requester";

/**
 * What the SLA reads of a ticket (a caller that holds it as it now is, a change that has just
 * written it for one, passes it and saves a read; its `sla` object is then brought up to date in place).
 */
export interface TicketSlaRow extends TicketFields {
  status: Status;
  /** The stored SlaRecord, or null: typed as the column is read (a ticket row's JSON). */
  sla: unknown;
  deletedAt: Date | null;
}

/** A ticket's SLA as planned from the ticket after a change: what its row gets, and what follows the write. */
export interface SlaPlan {
  /** The SET list for the ticket's row: sla, slaPolicyId, nextBreachAt and the revision bump. */
  assignments: Prisma.Sql;
  /** Replaces the ticket's timers once the row is written, given the revision it now has. */
  written(revision: number): Promise<void>;
  /** Whether `written` may write anything: if not, the row's write can be its transaction's last statement (COMMITS). */
  writesAfter: boolean;
}

function sameFields(x: TicketFields, y: TicketFields): boolean {
  return x.priority === y.priority && x.type === y.type && x.channel === y.channel && (x.groupId ?? null) === y.groupId && JSON.stringify([...x.tags].sort()) === JSON.stringify([...y.tags].sort());
}

export function clockFor(schedule: ScheduleDefinition | undefined): (target: Target) => Clock {
  const business = schedule ? businessClock(schedule) : undefined;
  // A business-hours target whose schedule is gone counts calendar time rather than none.
  return (target) => (target.businessHours && business ? business : calendarClock);
}

export function computeStates(record: SlaRecord, schedule: ScheduleDefinition | undefined, now: number): MetricState[] {
  return statesOf(cyclesOf(record.facts, record.targets), record.targets, clockFor(schedule), now, record.warningMinutes);
}

export async function loadSchedules(db: Db, tenantId: string, ids: readonly string[]): Promise<Map<string, ScheduleDefinition>> {
  if (ids.length === 0) return new Map();
  const rows = await db.slaSchedule.findMany({ where: { tenantId, id: { in: [...new Set(ids)] } }, select: { id: true, timeZone: true, weeklyHours: true, holidays: true } });
  return new Map(rows.map((row) => [row.id, { timeZone: row.timeZone, weeklyHours: row.weeklyHours as unknown as ScheduleDefinition["weeklyHours"], holidays: row.holidays }]));
}

function usesSchedule(record: SlaRecord): boolean {
  return record.scheduleId !== null && Object.values(record.targets).some((target) => target?.businessHours);
}

const iso = (instant: number | null) => (instant === null ? null : new Date(instant).toISOString());

export function toTicketSla(record: SlaRecord, states: readonly MetricState[]): Schemas["TicketSla"] | null {
  if (record.policyId === null) return null;
  return {
    policyId: record.policyId,
    metrics: latestStates(states).map((state) => ({
      metric: state.metric,
      cycle: state.cycle,
      status: state.status,
      targetMinutes: state.targetMinutes,
      businessHours: state.businessHours,
      startedAt: new Date(state.startedAt).toISOString(),
      breachAt: iso(state.breachAt),
      fulfilledAt: iso(state.fulfilledAt),
      elapsedSeconds: Math.floor(state.elapsedMs / 1000),
    })),
  };
}

/** Chooses the first matching policy and copies what the ticket needs of it into its record. */
async function choosePolicy(tx: Db, tenantId: string, record: SlaRecord, fields: TicketFields): Promise<void> {
  const policies = await tx.$queryRaw<PolicyRow[]>`${PREPARED_SQL}SELECT id, conditions, targets, "scheduleId", "warningMinutes" FROM "SlaPolicy" WHERE "tenantId" = ${tenantId}::uuid ORDER BY position, "createdAt", id`;
  const policy = matchingPolicy(policies, fields);
  record.matched = fields;
  record.policyId = policy?.id ?? null;
  record.scheduleId = policy?.scheduleId ?? null;
  record.targets = policy ? ((policy.targets as Record<string, Targets>)[fields.priority] ?? {}) : {};
  record.warningMinutes = policy?.warningMinutes ?? 0;
}

async function statesNow(tx: Db, tenantId: string, record: SlaRecord, at: number): Promise<MetricState[]> {
  if (record.policyId === null) return [];
  const schedule = usesSchedule(record) ? (await loadSchedules(tx, tenantId, [record.scheduleId!])).get(record.scheduleId!) : undefined;
  return computeStates(record, schedule, at);
}

/** Timers for the moments to come; what is already due (and fulfilments) recorded now. */
async function planTimers(tx: Db, tenantId: string, ticketId: string, record: SlaRecord, states: readonly MetricState[], revision: number, at: number): Promise<void> {
  if (record.policyId === null) return;
  const policyId = record.policyId;
  const due: Moment[] = [];
  const timers: Prisma.SlaTimerCreateManyInput[] = [];
  for (const state of states) {
    const base = { tenantId, ticketId, metric: state.metric, cycle: state.cycle, policyId };
    if (state.fulfilledAt !== null) due.push({ ...base, kind: "fulfilment", at: new Date(state.fulfilledAt), breachAt: new Date(state.breachAt ?? state.fulfilledAt) });
    if (state.breachAt === null) continue;
    const breachAt = new Date(state.breachAt);
    for (const [kind, moment] of [["warning", state.warnAt], ["breach", state.breachAt]] as const) {
      if (moment === null) continue;
      if (moment <= at) due.push({ ...base, kind, at: new Date(moment), breachAt });
      else timers.push({ tenantId, ticketId, metric: state.metric, kind, cycle: state.cycle, revision, dueAt: new Date(moment), breachAt });
    }
  }
  if (due.length > 0) await recordMoments(tx, due);
  if (timers.length > 0) {
    await tx.slaTimer.createMany({ data: timers });
    await tx.$executeRaw`SELECT pg_notify(${SLA_TIMERS_CHANNEL}, '')`;
  }
}

export function createTicketSla(options: { now: () => number }) {
  const { now } = options;

  /**
   * sync's work before and after its write, for a change that writes the ticket itself: the
   * `assignments` go into the change's own UPDATE of the row (one write of the row, not two),
   * and `written` follows with the revision that UPDATE returned. `ticket` is the ticket as the
   * change leaves it; its `sla` object is brought up to date in place.
   */
  async function plan(tx: Db, tenantId: string, ticketId: string, ticket: TicketSlaRow, reply?: ReplyBy): Promise<SlaPlan> {
    let record = ticket.sla as SlaRecord | null;
    // A ticket that had no policy has no timers to replace.
    const hadTimers = record !== null && record.policyId !== null;
    const at = now();
    const fields: TicketFields = { priority: ticket.priority, type: ticket.type, channel: ticket.channel, groupId: ticket.groupId, tags: ticket.tags };
    let choose = false;
    if (record === null) {
      record = { policyId: null, scheduleId: null, targets: {}, warningMinutes: 0, matched: fields, status: ticket.status, facts: [{ at, kind: "created", status: ticket.status }] };
      choose = true;
    } else {
      if (record.status !== ticket.status) {
        appendFact(record.facts, { at, kind: "status", status: ticket.status });
        record.status = ticket.status;
      }
      if (!sameFields(record.matched, fields)) choose = true;
    }
    if (reply) appendFact(record.facts, { at, kind: reply === "agent" ? "agentReply" : "requesterReply" });
    if (choose) await choosePolicy(tx, tenantId, record, fields);
    const states = await statesNow(tx, tenantId, record, at);
    const nextBreach = ticket.deletedAt === null ? nextBreachOf(states) : null;
    const planned = record;
    return {
      assignments: Prisma.sql`sla = ${JSON.stringify(planned)}::jsonb, "slaPolicyId" = ${planned.policyId}::uuid,
             "nextBreachAt" = ${nextBreach === null ? null : new Date(nextBreach)}::timestamptz, "slaRevision" = "slaRevision" + 1`,
      written: async (revision) => {
        // Timers the worker holds right now are left to it: they are stale (older revision) or were
        // due before this change, and waiting for them could deadlock with its breach records.
        if (hadTimers) {
          await tx.$executeRaw`DELETE FROM "SlaTimer" WHERE ("tenantId", id) IN (
            SELECT "tenantId", id FROM "SlaTimer" WHERE "tenantId" = ${tenantId}::uuid AND "ticketId" = ${ticketId}::uuid FOR UPDATE SKIP LOCKED)`;
        }
        if (ticket.deletedAt === null) await planTimers(tx, tenantId, ticketId, planned, states, revision, at);
      },
      writesAfter: hadTimers || (ticket.deletedAt === null && planned.policyId !== null),
    };
  }

  return {
    plan,

    /**
     * Brings a ticket's SLA up to date after a change, in the change's transaction (the ticket is
     * locked by the caller): records a new status or a reply in its timeline, chooses the policy
     * again when a field it is chosen by changed, then replans its timers and nextBreachAt and
     * records what is already due (a warning or breach whose moment has passed, a fulfilment).
     */
    async sync(tx: Db, tenantId: string, ticketId: string, reply?: ReplyBy, known?: TicketSlaRow): Promise<void> {
      const [ticket] = known
        ? [known]
        : await tx.$queryRaw<TicketSlaRow[]>`
        SELECT status::text, priority::text, type::text, channel::text, "groupId", tags, sla, "deletedAt" FROM "Ticket" WHERE "tenantId" = ${tenantId}::uuid AND id = ${ticketId}::uuid`;
      if (!ticket) return;
      const planned = await plan(tx, tenantId, ticketId, ticket, reply);
      const [{ revision }] = (await tx.$queryRaw<{ revision: number }[]>`
        UPDATE "Ticket" SET ${planned.assignments} WHERE "tenantId" = ${tenantId}::uuid AND id = ${ticketId}::uuid RETURNING "slaRevision" AS revision`) as [{ revision: number }];
      await planned.written(revision);
    },

    /**
     * A new ticket's SLA, chosen before the ticket is written so that it goes into its INSERT:
     * creation holds the tenant's numbering lock, and this costs it one read (the policies).
     * `planTimers` then plans the timers once the row exists.
     */
    async start(tx: Db, tenantId: string, ticket: TicketFields & { status: Status }) {
      const at = now();
      const fields: TicketFields = { priority: ticket.priority, type: ticket.type, channel: ticket.channel, groupId: ticket.groupId, tags: ticket.tags };
      const record: SlaRecord = { policyId: null, scheduleId: null, targets: {}, warningMinutes: 0, matched: fields, status: ticket.status, facts: [{ at, kind: "created", status: ticket.status }] };
      await choosePolicy(tx, tenantId, record, fields);
      const states = await statesNow(tx, tenantId, record, at);
      const nextBreach = nextBreachOf(states);
      return {
        columns: { sla: record as unknown as Prisma.InputJsonValue, slaPolicyId: record.policyId, nextBreachAt: nextBreach === null ? null : new Date(nextBreach) },
        // A new row's slaRevision is 0.
        planTimers: (ticketId: string) => planTimers(tx, tenantId, ticketId, record, states, 0, at),
        /** Whether planTimers may write anything (see SlaPlan.writesAfter). */
        writesAfter: record.policyId !== null,
      };
    },
    /** The `sla` and `nextBreachAt` staff see on each ticket, computed now. */
    async views(db: Db, tenantId: string, rows: readonly { id: string; sla: unknown; nextBreachAt: Date | null }[]): Promise<Map<string, { sla: Schemas["TicketSla"] | null; nextBreachAt: string | null }>> {
      const records = rows.map((row) => ({ row, record: row.sla as SlaRecord | null }));
      const schedules = await loadSchedules(db, tenantId, records.flatMap(({ record }) => (record && usesSchedule(record) ? [record.scheduleId!] : [])));
      const at = now();
      return new Map(
        records.map(({ row, record }) => {
          const sla = record && record.policyId !== null ? toTicketSla(record, computeStates(record, record.scheduleId ? schedules.get(record.scheduleId) : undefined, at)) : null;
          return [row.id, { sla, nextBreachAt: row.nextBreachAt?.toISOString() ?? null }];
        }),
      );
    },
  };
}

export type TicketSla = ReturnType<typeof createTicketSla>;
