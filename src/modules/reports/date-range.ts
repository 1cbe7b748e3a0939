// A report's range: calendar days `from`..`to` (both included) in an IANA time zone. PostgreSQL
// turns the days into instants (`day::timestamp AT TIME ZONE zone`), so a day is what a wall clock
// there shows, 23 or 25 hours on the days clocks change.
import { problems } from "../../core/problem.ts";
import { isKnownTimeZone } from "../../core/time-zone.ts";

export const MAX_RANGE_DAYS = 366;

export interface DateRange {
  from: string;
  to: string;
  timeZone: string;
}

const DAY_MS = 86_400_000;

/**
 * Only names (Europe/Paris, UTC): Intl would also take offsets such as "+05:00", which PostgreSQL
 * reads with the POSIX sign, the other way round.
 */
function checkTimeZone(timeZone: string): void {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(timeZone) || !isKnownTimeZone(timeZone)) throw problems.invalidParameter("timeZone", "is not an IANA time zone name (such as UTC or Europe/Paris)");
}

export function checkDateRange(query: { from: string; to: string; timeZone?: string }): DateRange {
  const timeZone = query.timeZone ?? "UTC";
  checkTimeZone(timeZone);
  const from = Date.parse(`${query.from}T00:00:00Z`);
  const to = Date.parse(`${query.to}T00:00:00Z`);
  // The contract's `date` format has checked the calendar; year 0000 is the one PostgreSQL refuses.
  if (query.from.startsWith("0000")) throw problems.invalidParameter("from", "must be a day of year 1 or later");
  if (to < from) throw problems.invalidParameter("to", "must be on or after from");
  if ((to - from) / DAY_MS >= MAX_RANGE_DAYS) throw problems.invalidParameter("to", `must be at most ${MAX_RANGE_DAYS - 1} days after from (a range of at most ${MAX_RANGE_DAYS} days)`);
  return { from: query.from, to: query.to, timeZone };
}
