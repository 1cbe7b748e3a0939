// Random SLA timelines for property tests (fast-check): a business-hours schedule in one of several
// zones (30- and 45-minute offsets, DST both ways), holidays, targets, and what happens to a ticket
// minute by minute around a DST change.
import fc from "fast-check";
import type { RefEvent, RefMetric, RefSchedule, RefStatus, RefTarget } from "./sla-reference.ts";

const MINUTE = 60_000;
const DAY = 86_400_000;
const ZONES = ["America/New_York", "Europe/London", "Europe/Paris", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham", "UTC"];
/** Days with a DST change somewhere in ZONES (2026). */
const BASES = ["2026-03-08", "2026-03-29", "2026-04-05", "2026-09-27", "2026-10-04", "2026-10-25", "2026-11-01", "2026-06-15"].map((day) => Date.parse(`${day}T00:00:00Z`));
const DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

const hhmm = (quarter: number) => (quarter === 96 ? "24:00" : `${String(Math.floor(quarter / 4)).padStart(2, "0")}:${String((quarter % 4) * 15).padStart(2, "0")}`);

/** One or two intervals of at least an hour on a day. */
const dayHours = fc
  .uniqueArray(fc.integer({ min: 0, max: 96 }), { minLength: 2, maxLength: 4 })
  .map((bounds) => {
    const sorted = [...bounds].sort((x, y) => x - y);
    const intervals: [number, number][] = [];
    for (let i = 0; i + 1 < sorted.length; i += 2) intervals.push([sorted[i]!, sorted[i + 1]!]);
    return intervals;
  })
  .filter((intervals) => intervals.some(([start, end]) => end - start >= 4));

export type Action = { kind: "status"; to: Exclude<RefStatus, "closed"> } | { kind: "agent" } | { kind: "requester" };

export interface Timeline {
  schedule: RefSchedule;
  targets: Partial<Record<RefMetric, RefTarget>>;
  createdAt: number;
  steps: { at: number; action: Action }[];
  now: number;
}

const target = fc.record({ minutes: fc.integer({ min: 1, max: 600 }), businessHours: fc.boolean() });

export const timelines: fc.Arbitrary<Timeline> = fc
  .record({
    timeZone: fc.constantFrom(...ZONES),
    // At least three days with hours, so every target is reached within weeks.
    days: fc.array(fc.option(dayHours, { nil: undefined, freq: 3 }), { minLength: 7, maxLength: 7 }).filter((days) => days.filter(Boolean).length >= 3),
    base: fc.constantFrom(...BASES),
    startMinute: fc.integer({ min: -3 * 24 * 60, max: 24 * 60 }),
    holidayDays: fc.uniqueArray(fc.integer({ min: -1, max: 10 }), { maxLength: 3 }),
    targets: fc.record({ firstReply: target, nextReply: target, periodicUpdate: target, resolution: target }, { requiredKeys: [] }).filter((targets) => Object.keys(targets).length > 0),
    steps: fc.array(
      fc.record({
        gap: fc.oneof(fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 2 * 24 * 60 })),
        action: fc.oneof(
          fc.constantFrom<Action>({ kind: "agent" }, { kind: "requester" }),
          fc.constantFrom("open", "pending", "on_hold", "solved").map((to) => ({ kind: "status", to }) as Action),
        ),
      }),
      { maxLength: 8 },
    ),
    tail: fc.integer({ min: 0, max: 3 * 24 * 60 }),
  })
  .map((raw) => {
    const createdAt = raw.base + raw.startMinute * MINUTE;
    let at = createdAt;
    const steps = raw.steps.map((step) => ({ at: (at += step.gap * MINUTE), action: step.action }));
    const weeklyHours = raw.days.flatMap((intervals, index) => (intervals ?? []).map(([start, end]) => ({ day: DAYS[index]!, start: hhmm(start), end: hhmm(end) })));
    const holidays = raw.holidayDays.map((offset) => new Date(createdAt + offset * DAY).toISOString().slice(0, 10)).sort();
    return { schedule: { timeZone: raw.timeZone, weeklyHours, holidays }, targets: raw.targets, createdAt, steps, now: at + raw.tail * MINUTE };
  });

/**
 * What the actions do to the ticket's timeline, as the server records it: a status change that is
 * no change, or one the workflow refuses, does nothing; the requester's comment reopens a solved ticket.
 */
export function eventsOf(timeline: Timeline): { events: RefEvent[]; performed: { at: number; action: Action }[] } {
  const events: RefEvent[] = [{ at: timeline.createdAt, kind: "created", status: "open" }];
  const performed: { at: number; action: Action }[] = [];
  let status: RefStatus = "open";
  for (const step of timeline.steps) {
    const { at, action } = step;
    if (action.kind === "status") {
      if (action.to === status) continue;
      status = action.to;
      events.push({ at, kind: "status", status });
    } else if (action.kind === "agent") {
      events.push({ at, kind: "agentReply" });
    } else {
      if (status === "solved") {
        status = "open";
        events.push({ at, kind: "status", status });
      }
      events.push({ at, kind: "requesterReply" });
    }
    performed.push(step);
  }
  return { events, performed };
}
