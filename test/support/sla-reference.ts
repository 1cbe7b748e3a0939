// A reference for SLA clocks, written apart from src/modules/sla on purpose: it walks time one
// minute at a time, asking luxon what the wall clock shows in the schedule's zone for each minute,
// and counts the minutes a metric runs inside business hours. Slow and obviously right; the server's
// interval arithmetic must agree with it on minute-aligned timelines.
import { DateTime } from "luxon";

export type RefStatus = "open" | "pending" | "on_hold" | "solved" | "closed";
export type RefMetric = "firstReply" | "nextReply" | "periodicUpdate" | "resolution";
export type RefEvent = { at: number; kind: "created"; status: RefStatus } | { at: number; kind: "status"; status: RefStatus } | { at: number; kind: "agentReply" } | { at: number; kind: "requesterReply" };
export interface RefSchedule {
  timeZone: string;
  weeklyHours: { day: string; start: string; end: string }[];
  holidays: string[];
}
export interface RefTarget {
  minutes: number;
  businessHours: boolean;
}
export interface RefState {
  metric: RefMetric;
  cycle: number;
  status: "active" | "paused" | "fulfilled" | "breached";
  breachAt: number | null;
  fulfilledAt: number | null;
  elapsedSeconds: number;
}

const MINUTE = 60_000;
const ORDER: RefMetric[] = ["firstReply", "nextReply", "periodicUpdate", "resolution"];
/** Which statuses stop each metric's clock. */
const PAUSES: Record<RefMetric, RefStatus[]> = { firstReply: [], nextReply: [], periodicUpdate: ["pending"], resolution: ["pending", "on_hold"] };
/** Projections of a breach stop looking this far ahead. */
const HORIZON_MINUTES = 120 * 24 * 60;

/**
 * Whether a minute is inside business hours. Every zone's offset is a whole number of quarter hours,
 * as are the hours the tests generate, so a minute answers for its whole UTC quarter hour (cached).
 */
export function businessMinute(schedule: RefSchedule | null, cache: Map<number, boolean>): (minute: number) => boolean {
  return (instant) => {
    if (!schedule) return true;
    const minute = Math.floor(instant / (15 * MINUTE)) * 15 * MINUTE;
    const known = cache.get(minute);
    if (known !== undefined) return known;
    const local = DateTime.fromMillis(minute, { zone: schedule.timeZone });
    const day = local.setLocale("en-US").toFormat("cccc").toLowerCase();
    const time = local.toFormat("HH:mm");
    const inside = !schedule.holidays.includes(local.toISODate()!) && schedule.weeklyHours.some((interval) => interval.day === day && interval.start <= time && time < interval.end);
    cache.set(minute, inside);
    return inside;
  };
}

interface RefCycle {
  metric: RefMetric;
  cycle: number;
  open: boolean;
  elapsed: number;
  breachAt: number | null;
  fulfilledAt: number | null;
}

export function referenceSla(events: RefEvent[], targets: Partial<Record<RefMetric, RefTarget>>, schedule: RefSchedule | null, now: number): RefState[] {
  const business = businessMinute(schedule, new Map());
  const counts = (metric: RefMetric, minute: number) => (targets[metric]!.businessHours ? business(minute) : true);
  const cycles: RefCycle[] = [];
  const openOf = (metric: RefMetric) => cycles.find((cycle) => cycle.metric === metric && cycle.open);
  let status: RefStatus = "open";
  const done = () => status === "solved" || status === "closed";
  const start = (metric: RefMetric) => {
    if (!targets[metric] || openOf(metric)) return;
    cycles.push({ metric, cycle: cycles.filter((cycle) => cycle.metric === metric).length + 1, open: true, elapsed: 0, breachAt: null, fulfilledAt: null });
  };
  const end = (metric: RefMetric, at: number) => {
    const cycle = openOf(metric);
    if (!cycle) return;
    cycle.open = false;
    cycle.fulfilledAt = at;
  };
  const apply = (event: RefEvent) => {
    if (event.kind === "created") {
      status = event.status;
      if (!done()) (["firstReply", "resolution"] as const).forEach(start);
    } else if (event.kind === "status") {
      const wasDone = done();
      status = event.status;
      if (done()) for (const metric of ORDER) end(metric, event.at);
      else if (wasDone) start("resolution");
    } else if (event.kind === "agentReply") {
      (["firstReply", "nextReply", "periodicUpdate"] as const).forEach((metric) => end(metric, event.at));
      if (!done()) start("periodicUpdate");
    } else if (!done() && !openOf("firstReply")) {
      start("nextReply");
    }
  };
  const tick = (minute: number) => {
    for (const cycle of cycles) {
      if (!cycle.open || PAUSES[cycle.metric].includes(status)) continue;
      if (counts(cycle.metric, minute)) cycle.elapsed++;
      if (cycle.breachAt === null && cycle.elapsed >= targets[cycle.metric]!.minutes) cycle.breachAt = minute + MINUTE;
    }
  };
  let minute = events[0]!.at;
  let next = 0;
  while (minute < now) {
    while (next < events.length && events[next]!.at <= minute) apply(events[next++]!);
    tick(minute);
    minute += MINUTE;
  }
  while (next < events.length && events[next]!.at <= now) apply(events[next++]!);

  const elapsedAtNow = new Map(cycles.map((cycle) => [cycle, cycle.elapsed]));
  // Where a running clock would reach its target, status unchanged from now on.
  for (const cycle of cycles) {
    if (!cycle.open || cycle.breachAt !== null || PAUSES[cycle.metric].includes(status)) continue;
    let elapsed = cycle.elapsed;
    for (let step = 0, at = now; step < HORIZON_MINUTES; step++, at += MINUTE) {
      if (counts(cycle.metric, at)) elapsed++;
      if (elapsed >= targets[cycle.metric]!.minutes) {
        cycle.breachAt = at + MINUTE;
        break;
      }
    }
  }
  const latest = new Map<RefMetric, RefCycle>();
  for (const cycle of cycles) latest.set(cycle.metric, cycle);
  return ORDER.flatMap((metric) => {
    const cycle = latest.get(metric);
    if (!cycle) return [];
    // Fulfilled exactly at the breach moment is in time.
    const breachAt = cycle.breachAt !== null && (cycle.open || cycle.breachAt < cycle.fulfilledAt!) ? cycle.breachAt : null;
    const paused = PAUSES[metric].includes(status);
    let state: RefState["status"];
    if (breachAt !== null && breachAt <= (cycle.fulfilledAt ?? now)) state = "breached";
    else if (!cycle.open) state = "fulfilled";
    else state = paused ? "paused" : "active";
    return [{ metric, cycle: cycle.cycle, status: state, breachAt, fulfilledAt: cycle.fulfilledAt, elapsedSeconds: elapsedAtNow.get(cycle)! * 60 }];
  });
}
