// SLA configuration (admins): business-hours schedules and the ordered SLA policies; and the
// attainment report. What a policy does to tickets lives in ticket-sla.ts; the timers that fire
// warnings and breaches on time in timers.ts.
import type { Database, Db } from "../../db/client.ts";
import type { Prisma, SlaPolicy as PolicyRow, SlaSchedule as ScheduleRow } from "../../generated/prisma/client.ts";
import { appendEvent, changedFields, contextOf } from "../../events/event-log.ts";
import type { TenantPrincipal } from "../../core/principal.ts";
import type { QueryOf, Schemas } from "../../core/contract-types.ts";
import { problems, type ProblemField } from "../../core/problem.ts";
import { isTimeZone, minutesOfDay, WEEKDAYS } from "./business-time.ts";
import { METRICS } from "./calculator.ts";

/** Small, whole lists: a tenant's configuration, not its data. */
const MAX_SCHEDULES = 100;
const MAX_POLICIES = 100;

export type Schedule = Schemas["Schedule"];
export type SlaPolicy = Schemas["SlaPolicy"];

export function toSchedule(row: ScheduleRow): Schedule {
  return {
    id: row.id,
    name: row.name,
    timeZone: row.timeZone,
    weeklyHours: row.weeklyHours as Schedule["weeklyHours"],
    holidays: row.holidays,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toPolicy(row: PolicyRow): SlaPolicy {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    position: row.position,
    conditions: row.conditions as SlaPolicy["conditions"],
    targets: row.targets as SlaPolicy["targets"],
    scheduleId: row.scheduleId,
    warningMinutes: row.warningMinutes,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function checkSchedule(input: Partial<Schemas["ScheduleInput"]>): void {
  const errors: ProblemField[] = [];
  if (input.timeZone !== undefined && !isTimeZone(input.timeZone)) errors.push({ pointer: "/timeZone", detail: "is not an IANA time zone (e.g. Europe/Paris)" });
  input.weeklyHours?.forEach((interval, index) => {
    if (minutesOfDay(interval.end) <= minutesOfDay(interval.start)) errors.push({ pointer: `/weeklyHours/${index}/end`, detail: "must be after start" });
  });
  // Overlapping intervals would count the same hour twice.
  for (const day of WEEKDAYS) {
    const intervals = (input.weeklyHours ?? [])
      .map((interval, index) => ({ ...interval, index }))
      .filter((interval) => interval.day === day)
      .sort((x, y) => minutesOfDay(x.start) - minutesOfDay(y.start));
    for (let i = 1; i < intervals.length; i++) {
      if (minutesOfDay(intervals[i]!.start) < minutesOfDay(intervals[i - 1]!.end)) errors.push({ pointer: `/weeklyHours/${intervals[i]!.index}`, detail: `overlaps another interval on ${day}` });
    }
  }
  if (errors.length > 0) throw problems.validation("The schedule is not valid.", errors);
}

/** Business-hours targets need a schedule to count in. */
function checkTargets(targets: Schemas["SlaTargets"], scheduleId: string | null): void {
  const errors: ProblemField[] = [];
  for (const [priority, metrics] of Object.entries(targets)) {
    for (const metric of METRICS) {
      if (metrics?.[metric]?.businessHours && scheduleId === null) errors.push({ pointer: `/targets/${priority}/${metric}/businessHours`, detail: "needs the policy's scheduleId" });
    }
  }
  if (errors.length > 0) throw problems.validation("The targets are not valid.", errors);
}

/** Groups named in conditions must be the tenant's. */
async function checkGroups(tx: Db, tenantId: string, conditions: Schemas["SlaConditions"] | undefined): Promise<void> {
  const ids = [...new Set(conditions?.groupId ?? [])];
  if (ids.length === 0) return;
  const found = await tx.group.count({ where: { tenantId, id: { in: ids } } });
  if (found !== ids.length) throw problems.invalidField("/conditions/groupId", "names a group that is not one of this tenant's");
}

function normaliseConditions(conditions: Schemas["SlaConditions"] | undefined): Schemas["SlaConditions"] {
  if (!conditions) return {};
  return conditions.tags ? { ...conditions, tags: [...new Set(conditions.tags.map((tag) => tag.trim().toLowerCase()))] } : conditions;
}

export function createSlaService(db: Database) {
  async function existingSchedule(tx: Db, tenantId: string, scheduleId: string): Promise<ScheduleRow> {
    const row = await tx.slaSchedule.findUnique({ where: { tenantId_id: { tenantId, id: scheduleId } } });
    if (!row) throw problems.notFound("schedule", scheduleId);
    return row;
  }
  async function existingPolicy(tx: Db, tenantId: string, policyId: string): Promise<PolicyRow> {
    const row = await tx.slaPolicy.findUnique({ where: { tenantId_id: { tenantId, id: policyId } } });
    if (!row) throw problems.notFound("SLA policy", policyId);
    return row;
  }
  async function checkScheduleExists(tx: Db, tenantId: string, scheduleId: string | null | undefined): Promise<void> {
    if (!scheduleId) return;
    const row = await tx.slaSchedule.findUnique({ where: { tenantId_id: { tenantId, id: scheduleId } }, select: { id: true } });
    if (!row) throw problems.invalidField("/scheduleId", "is not a schedule of this tenant");
  }
  /** A policy placed at a position goes before the one that held it: those from there on move down one. */
  async function makeRoomAt(tx: Db, tenantId: string, position: number, except?: string): Promise<void> {
    const taken = await tx.slaPolicy.findFirst({ where: { tenantId, position, id: except ? { not: except } : undefined }, select: { id: true } });
    if (!taken) return;
    await tx.slaPolicy.updateMany({ where: { tenantId, position: { gte: position }, id: except ? { not: except } : undefined }, data: { position: { increment: 1 } } });
  }
  const event = (principal: TenantPrincipal, type: "schedule" | "sla_policy", id: string) => ({ tenantId: principal.tenantId, entity: { type, id } });

  return {
    async listSchedules(principal: TenantPrincipal): Promise<Schemas["ScheduleList"]> {
      const rows = await db.slaSchedule.findMany({ where: { tenantId: principal.tenantId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], take: MAX_SCHEDULES });
      return { data: rows.map(toSchedule), nextCursor: null };
    },

    async getSchedule(principal: TenantPrincipal, scheduleId: string): Promise<Schedule> {
      return toSchedule(await existingSchedule(db, principal.tenantId, scheduleId));
    },

    async createSchedule(principal: TenantPrincipal, input: Schemas["ScheduleInput"], requestId?: string): Promise<Schedule> {
      checkSchedule(input);
      return db.$transaction(async (tx) => {
        if ((await tx.slaSchedule.count({ where: { tenantId: principal.tenantId } })) >= MAX_SCHEDULES) {
          throw problems.conflict("too_many_schedules", `A tenant has at most ${MAX_SCHEDULES} schedules.`);
        }
        const row = await tx.slaSchedule.create({
          data: { tenantId: principal.tenantId, name: input.name, timeZone: input.timeZone, weeklyHours: input.weeklyHours as Prisma.InputJsonValue, holidays: [...new Set(input.holidays ?? [])].sort() },
        });
        const schedule = toSchedule(row);
        await appendEvent(tx, contextOf(principal, requestId), { ...event(principal, "schedule", row.id), type: "schedule.created", after: schedule });
        return schedule;
      });
    },

    async updateSchedule(principal: TenantPrincipal, scheduleId: string, input: Schemas["ScheduleUpdate"], requestId?: string): Promise<Schedule> {
      checkSchedule(input);
      return db.$transaction(async (tx) => {
        const current = await existingSchedule(tx, principal.tenantId, scheduleId);
        const row = await tx.slaSchedule.update({
          where: { tenantId_id: { tenantId: principal.tenantId, id: scheduleId } },
          data: {
            name: input.name,
            timeZone: input.timeZone,
            weeklyHours: input.weeklyHours as Prisma.InputJsonValue | undefined,
            holidays: input.holidays ? [...new Set(input.holidays)].sort() : undefined,
          },
        });
        const schedule = toSchedule(row);
        await appendEvent(tx, contextOf(principal, requestId), { ...event(principal, "schedule", row.id), type: "schedule.updated", ...changedFields(toSchedule(current), schedule) });
        return schedule;
      });
    },

    async deleteSchedule(principal: TenantPrincipal, scheduleId: string, requestId?: string): Promise<void> {
      await db.$transaction(async (tx) => {
        await existingSchedule(tx, principal.tenantId, scheduleId);
        const user = await tx.slaPolicy.findFirst({ where: { tenantId: principal.tenantId, scheduleId }, select: { name: true } });
        if (user) throw problems.conflict("schedule_in_use", `The policy ${user.name} uses this schedule; change or delete it first.`);
        await tx.slaSchedule.delete({ where: { tenantId_id: { tenantId: principal.tenantId, id: scheduleId } } });
        await appendEvent(tx, contextOf(principal, requestId), { ...event(principal, "schedule", scheduleId), type: "schedule.deleted" });
      });
    },

    async listPolicies(principal: TenantPrincipal): Promise<Schemas["SlaPolicyList"]> {
      const rows = await db.slaPolicy.findMany({ where: { tenantId: principal.tenantId }, orderBy: [{ position: "asc" }, { createdAt: "asc" }, { id: "asc" }], take: MAX_POLICIES });
      return { data: rows.map(toPolicy), nextCursor: null };
    },

    async getPolicy(principal: TenantPrincipal, policyId: string): Promise<SlaPolicy> {
      return toPolicy(await existingPolicy(db, principal.tenantId, policyId));
    },

    async createPolicy(principal: TenantPrincipal, input: Schemas["SlaPolicyInput"], requestId?: string): Promise<SlaPolicy> {
      const scheduleId = input.scheduleId ?? null;
      checkTargets(input.targets, scheduleId);
      return db.$transaction(async (tx) => {
        await checkScheduleExists(tx, principal.tenantId, scheduleId);
        await checkGroups(tx, principal.tenantId, input.conditions);
        const count = await tx.slaPolicy.count({ where: { tenantId: principal.tenantId } });
        if (count >= MAX_POLICIES) throw problems.conflict("too_many_policies", `A tenant has at most ${MAX_POLICIES} SLA policies.`);
        // Last by default: one past the highest position.
        const last = await tx.slaPolicy.aggregate({ where: { tenantId: principal.tenantId }, _max: { position: true } });
        if (input.position !== undefined) await makeRoomAt(tx, principal.tenantId, input.position);
        const row = await tx.slaPolicy.create({
          data: {
            tenantId: principal.tenantId,
            name: input.name,
            description: input.description ?? "",
            position: input.position ?? (last._max.position ?? -1) + 1,
            conditions: normaliseConditions(input.conditions) as Prisma.InputJsonValue,
            targets: input.targets as Prisma.InputJsonValue,
            scheduleId,
            warningMinutes: input.warningMinutes ?? 15,
          },
        });
        const policy = toPolicy(row);
        await appendEvent(tx, contextOf(principal, requestId), { ...event(principal, "sla_policy", row.id), type: "sla_policy.created", after: policy });
        return policy;
      });
    },

    async updatePolicy(principal: TenantPrincipal, policyId: string, input: Schemas["SlaPolicyUpdate"], requestId?: string): Promise<SlaPolicy> {
      return db.$transaction(async (tx) => {
        const current = await existingPolicy(tx, principal.tenantId, policyId);
        const scheduleId = input.scheduleId !== undefined ? input.scheduleId : current.scheduleId;
        checkTargets(input.targets ?? (current.targets as Schemas["SlaTargets"]), scheduleId);
        await checkScheduleExists(tx, principal.tenantId, input.scheduleId);
        await checkGroups(tx, principal.tenantId, input.conditions);
        if (input.position !== undefined && input.position !== current.position) await makeRoomAt(tx, principal.tenantId, input.position, policyId);
        const row = await tx.slaPolicy.update({
          where: { tenantId_id: { tenantId: principal.tenantId, id: policyId } },
          data: {
            name: input.name,
            description: input.description,
            position: input.position,
            conditions: input.conditions ? (normaliseConditions(input.conditions) as Prisma.InputJsonValue) : undefined,
            targets: input.targets as Prisma.InputJsonValue | undefined,
            scheduleId,
            warningMinutes: input.warningMinutes,
          },
        });
        const policy = toPolicy(row);
        await appendEvent(tx, contextOf(principal, requestId), { ...event(principal, "sla_policy", row.id), type: "sla_policy.updated", ...changedFields(toPolicy(current), policy) });
        return policy;
      });
    },

    async deletePolicy(principal: TenantPrincipal, policyId: string, requestId?: string): Promise<void> {
      await db.$transaction(async (tx) => {
        await existingPolicy(tx, principal.tenantId, policyId);
        await tx.slaPolicy.delete({ where: { tenantId_id: { tenantId: principal.tenantId, id: policyId } } });
        await appendEvent(tx, contextOf(principal, requestId), { ...event(principal, "sla_policy", policyId), type: "sla_policy.deleted" });
      });
    },

    /**
     * Per policy and metric over [from, to): cycles fulfilled in the range within target, and cycles
     * breached in the range. One statement over the cycles' two indexed timestamps.
     */
    async attainment(principal: TenantPrincipal, query: QueryOf<"getSlaAttainment">): Promise<Schemas["SlaAttainmentReport"]> {
      const from = new Date(query.from);
      const to = new Date(query.to);
      if (to <= from) throw problems.invalidParameter("to", "must be after from");
      const rows = await db.$queryRaw<Schemas["SlaAttainmentRow"][]>`
        WITH counted AS (
          SELECT "policyId", metric,
                 count(*) FILTER (WHERE "breachedAt" IS NULL AND "fulfilledAt" >= ${from} AND "fulfilledAt" < ${to})::int AS achieved,
                 count(*) FILTER (WHERE "breachedAt" >= ${from} AND "breachedAt" < ${to})::int AS breached
            FROM "SlaMetricCycle"
           WHERE "tenantId" = ${principal.tenantId}::uuid
             AND (("fulfilledAt" >= ${from} AND "fulfilledAt" < ${to}) OR ("breachedAt" >= ${from} AND "breachedAt" < ${to}))
           GROUP BY "policyId", metric
        )
        SELECT c."policyId", p.name AS "policyName", c.metric, c.achieved, c.breached,
               CASE WHEN c.achieved + c.breached = 0 THEN NULL ELSE round(100.0 * c.achieved / (c.achieved + c.breached), 1)::float8 END AS attainment
          FROM counted c LEFT JOIN "SlaPolicy" p ON p."tenantId" = ${principal.tenantId}::uuid AND p.id = c."policyId"
         WHERE c.achieved + c.breached > 0
         ORDER BY p.position NULLS LAST, c."policyId", array_position(${[...METRICS]}::text[], c.metric)`;
      return { from: from.toISOString(), to: to.toISOString(), data: rows };
    },
  };
}

export type SlaService = ReturnType<typeof createSlaService>;
