// Recording SLA moments: a warning or a breach of one metric's cycle, or its fulfilment. Setting a
// cycle's warnedAt / breachedAt only while it is null is what makes each event happen once per
// cycle, whoever gets there first (the ticket's own change, or the timer worker) and however often
// it is tried. Set-based, so the worker records a batch of due timers in two statements.
import type { Db } from "../../db/client.ts";
import { Prisma } from "../../generated/prisma/client.ts";

export type MomentKind = "warning" | "breach" | "fulfilment";

export interface Moment {
  tenantId: string;
  ticketId: string;
  metric: string;
  cycle: number;
  policyId: string;
  kind: MomentKind;
  at: Date;
  breachAt: Date;
}

const COLUMN: Record<MomentKind, string> = { warning: "warnedAt", breach: "breachedAt", fulfilment: "fulfilledAt" };
const EVENT: Partial<Record<MomentKind, string>> = { warning: "sla.warning", breach: "sla.breached" };

/** Records the moments (any mix of kinds); warnings and breaches not recorded before append their event. Returns how many events. */
export async function recordMoments(db: Db, moments: readonly Moment[]): Promise<number> {
  let events = 0;
  for (const kind of ["warning", "breach", "fulfilment"] as const) {
    const rows = moments.filter((moment) => moment.kind === kind);
    if (rows.length === 0) continue;
    const column = Prisma.raw(`"${COLUMN[kind]}"`);
    const input = Prisma.sql`SELECT DISTINCT ON ("tenantId", "ticketId", metric, cycle) * FROM unnest(
        ${rows.map((row) => row.tenantId)}::uuid[], ${rows.map((row) => row.ticketId)}::uuid[], ${rows.map((row) => row.metric)}::text[],
        ${rows.map((row) => row.cycle)}::int[], ${rows.map((row) => row.policyId)}::uuid[], ${rows.map((row) => row.at)}::timestamptz[],
        ${rows.map((row) => row.breachAt)}::timestamptz[]) AS i("tenantId", "ticketId", metric, cycle, "policyId", at, "breachAt")`;
    const upsert = Prisma.sql`INSERT INTO "SlaMetricCycle" ("tenantId", "ticketId", metric, cycle, "policyId", ${column})
        SELECT "tenantId", "ticketId", metric, cycle, "policyId", at FROM input
        ON CONFLICT ("tenantId", "ticketId", metric, cycle) DO UPDATE SET ${column} = EXCLUDED.${column} WHERE "SlaMetricCycle".${column} IS NULL
        RETURNING "tenantId", "ticketId", metric, cycle, "policyId"`;
    const type = EVENT[kind];
    if (!type) {
      await db.$executeRaw`WITH input AS (${input}) ${upsert}`;
      continue;
    }
    // Never shown to role user (internal): requesters see nothing of SLAs.
    events += await db.$executeRaw`WITH input AS (${input}), recorded AS (${upsert})
      INSERT INTO "Event" ("tenantId", id, type, "actorType", "entityType", "entityId", after, "ticketId", internal)
      SELECT r."tenantId", gen_random_uuid(), ${type}, 'system', 'ticket', r."ticketId",
             jsonb_build_object('metric', r.metric, 'cycle', r.cycle, 'policyId', r."policyId",
                                'breachAt', to_char(i."breachAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
             r."ticketId", true
        FROM recorded r JOIN input i USING ("tenantId", "ticketId", metric, cycle)`;
  }
  return events;
}
