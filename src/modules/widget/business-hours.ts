// Whether a moment falls within a tenant's weekly business hours, read in its time zone.
import type { Schemas } from "../../core/contract-types.ts";

export type BusinessHours = Schemas["WidgetBusinessHours"];

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

/** The weekday and "HH:MM" of `at` on the wall clocks of `timeZone`. */
function wallClock(at: Date, timeZone: string): { day: string; time: string } {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(at);
  const part = (type: string) => parts.find((candidate) => candidate.type === type)?.value ?? "";
  const weekday = DAYS.find((day) => day === part("weekday").toLowerCase().slice(0, 3)) ?? "sun";
  return { day: weekday, time: `${part("hour")}:${part("minute")}` };
}

/** No hours set means always open. Opening times are inclusive, closing times exclusive. */
export function withinBusinessHours(hours: BusinessHours | null | undefined, at = new Date()): boolean {
  if (!hours) return true;
  const now = wallClock(at, hours.timeZone);
  return hours.weekly.some((slot) => slot.day === now.day && slot.open <= now.time && now.time < slot.close);
}
