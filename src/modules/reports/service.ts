// Reports for an admin's dashboard, each one SQL statement over one snapshot: the database
// aggregates (counts, percentiles) and only the figures travel. Deleted tickets are left out, as
// in the list. Times are calendar time; business hours belong to SLA policies.
import type { Database } from "../../db/client.ts";
import { Prisma } from "../../generated/prisma/client.ts";
import type { TenantPrincipal } from "../../core/principal.ts";
import type { QueryOf, Schemas } from "../../core/contract-types.ts";
import { checkDateRange, type DateRange } from "./date-range.ts";
import { checkCanReadReports } from "./policy.ts";

type DurationFigures = Schemas["DurationFigures"];
type BacklogBucket = Schemas["BacklogReport"]["buckets"][number];

/** The range's first and last instants, as SQL: [start, stop). */
function bounds(range: DateRange) {
  return {
    start: Prisma.sql`(${range.from}::date::timestamp AT TIME ZONE ${range.timeZone})`,
    stop: Prisma.sql`((${range.to}::date + 1)::timestamp AT TIME ZONE ${range.timeZone})`,
  };
}

interface DayRow {
  date: string;
  created: number;
  solved: number;
}

interface FigureRow {
  metric: "firstReply" | "resolution";
  set: "agent" | "group" | "overall";
  assigneeId: string | null;
  groupId: string | null;
  count: number;
  median: number | null;
  p90: number | null;
}

interface BacklogRow {
  bucket: BacklogBucket["bucket"];
  status: keyof BacklogBucket["byStatus"];
  priority: keyof BacklogBucket["byPriority"];
  count: number;
  asOf: Date;
}

const BUCKETS: readonly Pick<BacklogBucket, "bucket" | "minAgeDays" | "maxAgeDays">[] = [
  { bucket: "under_1d", minAgeDays: 0, maxAgeDays: 1 },
  { bucket: "1d_3d", minAgeDays: 1, maxAgeDays: 3 },
  { bucket: "3d_7d", minAgeDays: 3, maxAgeDays: 7 },
  { bucket: "7d_30d", minAgeDays: 7, maxAgeDays: 30 },
  { bucket: "over_30d", minAgeDays: 30, maxAgeDays: null },
];

const NO_FIGURES: DurationFigures = { count: 0, medianSeconds: null, p90Seconds: null };

function figuresOf(row: FigureRow | undefined): DurationFigures {
  return row ? { count: row.count, medianSeconds: row.median, p90Seconds: row.p90 } : NO_FIGURES;
}

export function createReportService(db: Database) {
  return {
    async ticketsPerDay(principal: TenantPrincipal, query: QueryOf<"getTicketsPerDayReport">): Promise<Schemas["TicketsPerDayReport"]> {
      checkCanReadReports(principal);
      const range = checkDateRange(query);
      const { start, stop } = bounds(range);
      const tenantId = principal.tenantId;
      // Each count ranges an index on its timestamp within the tenant; the days come from a
      // series of day numbers (a series of dates would be one of timestamptz, in the session's zone).
      const perDay = (column: "createdAt" | "solvedAt") => Prisma.sql`
        SELECT (t.${Prisma.raw(`"${column}"`)} AT TIME ZONE ${range.timeZone})::date AS day, count(*)::int AS n FROM "Ticket" t
         WHERE t."tenantId" = ${tenantId}::uuid AND t."deletedAt" IS NULL
           AND t.${Prisma.raw(`"${column}"`)} >= ${start} AND t.${Prisma.raw(`"${column}"`)} < ${stop}
         GROUP BY 1`;
      const days = await db.$queryRaw<DayRow[]>`
        WITH created AS (${perDay("createdAt")}), solved AS (${perDay("solvedAt")}),
        days AS (SELECT ${range.from}::date + i AS day FROM generate_series(0, ${range.to}::date - ${range.from}::date) i)
        SELECT to_char(days.day, 'YYYY-MM-DD') AS date, coalesce(created.n, 0) AS created, coalesce(solved.n, 0) AS solved
          FROM days LEFT JOIN created ON created.day = days.day LEFT JOIN solved ON solved.day = days.day
         ORDER BY days.day`;
      return {
        ...range,
        days,
        totals: { created: days.reduce((sum, day) => sum + day.created, 0), solved: days.reduce((sum, day) => sum + day.solved, 0) },
      };
    },

    async responseTimes(principal: TenantPrincipal, query: QueryOf<"getResponseTimesReport">): Promise<Schemas["ResponseTimesReport"]> {
      checkCanReadReports(principal);
      const range = checkDateRange(query);
      const { start, stop } = bounds(range);
      const tenantId = principal.tenantId;
      const durations = (end: "firstResponseAt" | "solvedAt") => Prisma.sql`
        SELECT t."assigneeId", t."groupId", extract(epoch FROM t.${Prisma.raw(`"${end}"`)} - t."createdAt")::float8 AS seconds FROM "Ticket" t
         WHERE t."tenantId" = ${tenantId}::uuid AND t."deletedAt" IS NULL
           AND t.${Prisma.raw(`"${end}"`)} >= ${start} AND t.${Prisma.raw(`"${end}"`)} < ${stop}`;
      // Per assignee, per group and overall in one pass (GROUPING SETS); grouping() tells which set
      // a row belongs to, and the overall row from the unassigned (or ungrouped) tickets' row, whose
      // id is null too. Rounded to the millisecond, the timestamps' own precision, so
      // interpolation's float noise never shows.
      const figures = (metric: FigureRow["metric"], source: string) => Prisma.sql`
        SELECT ${metric}::text AS metric, CASE grouping("assigneeId", "groupId") WHEN 1 THEN 'agent' WHEN 2 THEN 'group' ELSE 'overall' END AS "set",
               "assigneeId", "groupId", count(*)::int AS count,
               round(percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds)::numeric, 3)::float8 AS median,
               round(percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds)::numeric, 3)::float8 AS p90
          FROM ${Prisma.raw(source)} GROUP BY GROUPING SETS (("assigneeId"), ("groupId"), ())`;
      const rows = await db.$queryRaw<FigureRow[]>`
        WITH first_reply AS (${durations("firstResponseAt")}), resolution AS (${durations("solvedAt")})
        ${figures("firstReply", "first_reply")} UNION ALL ${figures("resolution", "resolution")}`;
      const overall = (metric: FigureRow["metric"]) => rows.find((row) => row.set === "overall" && row.metric === metric);
      /** One entry per assignee (or group), most tickets first, the unassigned (ungrouped) last among equals. */
      const per = (set: "agent" | "group", idOf: (row: FigureRow) => string | null) => {
        const entries = new Map<string | null, { firstReply?: FigureRow; resolution?: FigureRow }>();
        for (const row of rows.filter((candidate) => candidate.set === set)) entries.set(idOf(row), { ...entries.get(idOf(row)), [row.metric]: row });
        const list = [...entries].map(([id, metrics]) => ({ id, firstReply: figuresOf(metrics.firstReply), resolution: figuresOf(metrics.resolution) }));
        const weight = (entry: (typeof list)[number]) => entry.firstReply.count + entry.resolution.count;
        return list.sort((a, b) => weight(b) - weight(a) || (a.id ?? "~").localeCompare(b.id ?? "~"));
      };
      return {
        ...range,
        overall: { firstReply: figuresOf(overall("firstReply")), resolution: figuresOf(overall("resolution")) },
        byAgent: per("agent", (row) => row.assigneeId).map(({ id, ...figures }) => ({ assigneeId: id, ...figures })),
        byGroup: per("group", (row) => row.groupId).map(({ id, ...figures }) => ({ groupId: id, ...figures })),
      };
    },

    async backlog(principal: TenantPrincipal): Promise<Schemas["BacklogReport"]> {
      checkCanReadReports(principal);
      const rows = await db.$queryRaw<BacklogRow[]>`
        WITH clock AS (SELECT now() AS at),
        unsolved AS (
          SELECT t.status, t.priority, clock.at - t."createdAt" AS age FROM "Ticket" t, clock
           WHERE t."tenantId" = ${principal.tenantId}::uuid AND t."deletedAt" IS NULL AND t.status IN ('open', 'pending', 'on_hold')
        )
        SELECT CASE WHEN age < interval '1 day' THEN 'under_1d' WHEN age < interval '3 days' THEN '1d_3d' WHEN age < interval '7 days' THEN '3d_7d'
                    WHEN age < interval '30 days' THEN '7d_30d' ELSE 'over_30d' END AS bucket,
               status::text AS status, priority::text AS priority, count(*)::int AS count, (SELECT at FROM clock) AS "asOf"
          FROM unsolved GROUP BY 1, 2, 3
        UNION ALL SELECT NULL, NULL, NULL, 0, (SELECT at FROM clock)`;
      const buckets: BacklogBucket[] = BUCKETS.map((bucket) => ({
        ...bucket,
        count: 0,
        byStatus: { open: 0, pending: 0, on_hold: 0 },
        byPriority: { low: 0, normal: 0, high: 0, urgent: 0 },
      }));
      for (const row of rows) {
        const bucket = buckets.find((candidate) => candidate.bucket === row.bucket);
        if (!bucket) continue; // the row that carries the clock alone
        bucket.count += row.count;
        bucket.byStatus[row.status] += row.count;
        bucket.byPriority[row.priority] += row.count;
      }
      return { asOf: rows[0]!.asOf.toISOString(), total: buckets.reduce((sum, bucket) => sum + bucket.count, 0), buckets };
    },
  };
}

export type ReportService = ReturnType<typeof createReportService>;
