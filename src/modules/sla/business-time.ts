// Business time: the instants whose local wall-clock time, in the schedule's IANA time zone, falls
// inside one of that weekday's intervals, on a local date that is not a holiday. The offsets come
// from luxon (the IANA database through Intl); within a stretch of constant offset, local time is
// the instant plus the offset, so each interval of each local day is one exact range of instants,
// across DST changes too (a spring-forward gap has no business time; a repeated hour counts twice
// when it is inside the hours, as a wall clock would show it).
import { IANAZone } from "luxon";

export const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface WeeklyInterval {
  day: Weekday;
  /** "HH:MM", local time. */
  start: string;
  /** "HH:MM" after start; "24:00" is the end of the day. */
  end: string;
}

export interface ScheduleDefinition {
  timeZone: string;
  weeklyHours: readonly WeeklyInterval[];
  /** Local dates, "YYYY-MM-DD". */
  holidays: readonly string[];
}

/** How time counts for a target: every instant (calendar hours), or a schedule's business hours. */
export interface Clock {
  /** Counted milliseconds in [from, to). */
  between(from: number, to: number): number;
  /** The instant by which `amount` milliseconds have been counted from `from`; null if never (a schedule without hours). */
  add(from: number, amount: number): number | null;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Offsets are probed this far apart; no zone changes its offset twice within it. */
const PROBE = 6 * 3_600_000;
/** A target no schedule reaches within this is never reached (a schedule of holidays only). */
const HORIZON = 800 * DAY;

export const calendarClock: Clock = {
  between: (from, to) => Math.max(0, to - from),
  add: (from, amount) => from + Math.max(0, amount),
};

export function minutesOfDay(time: string): number {
  const [hours, minutes] = time.split(":").map(Number);
  return hours! * 60 + minutes!;
}

export function isTimeZone(name: string): boolean {
  return IANAZone.isValidZone(name);
}

interface Segment {
  start: number;
  end: number;
  /** Local time minus UTC, in milliseconds. */
  offset: number;
}

export function businessClock(schedule: ScheduleDefinition): Clock {
  const zone = IANAZone.create(schedule.timeZone);
  const offsetAt = (instant: number) => zone.offset(instant) * MINUTE;
  const holidays = new Set(schedule.holidays);
  // Per weekday (0 = Sunday), its intervals in milliseconds of the local day, in order.
  const byWeekday = WEEKDAYS.map((day) =>
    schedule.weeklyHours
      .filter((interval) => interval.day === day)
      .map((interval) => [minutesOfDay(interval.start) * MINUTE, minutesOfDay(interval.end) * MINUTE] as const)
      .sort((x, y) => x[0] - y[0]),
  );
  const hasHours = byWeekday.some((intervals) => intervals.length > 0);

  /** The first instant after `known` (whose offset is `offset`) and at most `changed` whose offset differs. */
  function firstChange(known: number, changed: number, offset: number): number {
    let low = known;
    let high = changed;
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (offsetAt(middle) === offset) low = middle;
      else high = middle;
    }
    return high;
  }

  function* segments(from: number, to: number): Generator<Segment> {
    let start = from;
    while (start < to) {
      const offset = offsetAt(start);
      let end = to;
      for (let probe = start; probe < to; probe += PROBE) {
        const last = Math.min(probe + PROBE, to) - 1;
        if (offsetAt(last) !== offset) {
          end = firstChange(probe, last, offset);
          break;
        }
      }
      yield { start, end, offset };
      start = end;
    }
  }

  /** The business ranges within [from, to), in order. */
  function* ranges(from: number, to: number): Generator<[number, number]> {
    for (const { start, end, offset } of segments(from, to)) {
      // Local days are counted as UTC days of the local time (instant + offset).
      for (let day = Math.floor((start + offset) / DAY) * DAY; day < end + offset; day += DAY) {
        const date = new Date(day);
        if (holidays.has(date.toISOString().slice(0, 10))) continue;
        for (const [open, close] of byWeekday[date.getUTCDay()]!) {
          const low = Math.max(start, day + open - offset);
          const high = Math.min(end, day + close - offset);
          if (high > low) yield [low, high];
        }
      }
    }
  }

  return {
    between(from, to) {
      let total = 0;
      for (const [low, high] of ranges(from, to)) total += high - low;
      return total;
    },
    add(from, amount) {
      if (amount <= 0) return from;
      if (!hasHours) return null;
      let remaining = amount;
      for (const [low, high] of ranges(from, from + HORIZON)) {
        if (high - low >= remaining) return low + remaining;
        remaining -= high - low;
      }
      return null;
    },
  };
}
