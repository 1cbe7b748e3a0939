// The SLA clock arithmetic (business hours across time zones, DST and holidays; pauses; cycles)
// against the minute-by-minute reference, on many random timelines. test/sla.test.ts runs fewer of
// the same timelines through the real server.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { businessClock, type ScheduleDefinition } from "../src/modules/sla/business-time.ts";
import { computeStates, type SlaRecord } from "../src/modules/sla/ticket-sla.ts";
import { appendFact, cyclesOf, latestStates, type Fact } from "../src/modules/sla/calculator.ts";
import { businessMinute, referenceSla } from "./support/sla-reference.ts";
import { eventsOf, timelines } from "./support/sla-timelines.ts";

const MINUTE = 60_000;

describe("business time", () => {
  it("counts the minutes a wall clock in the zone shows inside the hours, across DST and holidays", () => {
    fc.assert(
      fc.property(timelines, fc.integer({ min: 0, max: 4 * 24 * 60 }), ({ schedule, createdAt }, length) => {
        const inside = businessMinute(schedule, new Map());
        let expected = 0;
        for (let minute = createdAt; minute < createdAt + length * MINUTE; minute += MINUTE) if (inside(minute)) expected++;
        expect(businessClock(schedule as ScheduleDefinition).between(createdAt, createdAt + length * MINUTE)).toBe(expected * MINUTE);
      }),
      { numRuns: 150 },
    );
  }, 60_000);

  it("adds business time to reach the instant the count is complete", () => {
    fc.assert(
      fc.property(timelines, fc.integer({ min: 1, max: 900 }), ({ schedule, createdAt }, minutes) => {
        const clock = businessClock(schedule as ScheduleDefinition);
        const end = clock.add(createdAt, minutes * MINUTE)!;
        expect(clock.between(createdAt, end)).toBe(minutes * MINUTE);
        // Not a minute earlier.
        expect(clock.between(createdAt, end - MINUTE)).toBeLessThan(minutes * MINUTE);
      }),
      { numRuns: 150 },
    );
  });

  it("has no business time in a spring-forward gap and counts a repeated hour twice", () => {
    const nightly = { timeZone: "America/New_York", weeklyHours: [{ day: "sunday" as const, start: "01:00", end: "03:00" }], holidays: [] };
    const clock = businessClock(nightly);
    // 2026-03-08: 02:00 EST jumps to 03:00 EDT, so 01:00–03:00 local lasts one hour.
    expect(clock.between(Date.parse("2026-03-08T05:00:00Z"), Date.parse("2026-03-08T09:00:00Z"))).toBe(60 * MINUTE);
    // 2026-11-01: 02:00 EDT falls back to 01:00 EST, so 01:00–03:00 local lasts three hours.
    expect(clock.between(Date.parse("2026-11-01T04:00:00Z"), Date.parse("2026-11-01T09:00:00Z"))).toBe(180 * MINUTE);
  });
});

describe("SLA clocks", () => {
  it("agree with the minute-by-minute reference on random timelines", () => {
    fc.assert(
      fc.property(timelines, fc.integer({ min: 0, max: 60 }), (timeline, warningMinutes) => {
        const { events } = eventsOf(timeline);
        const record: SlaRecord = {
          policyId: "p",
          scheduleId: "s",
          targets: timeline.targets,
          warningMinutes,
          matched: { priority: "normal", type: null, channel: "api", groupId: null, tags: [] },
          status: "open",
          facts: events as Fact[],
        };
        const states = latestStates(computeStates(record, timeline.schedule as ScheduleDefinition, timeline.now)).map((state) => ({
          metric: state.metric,
          cycle: state.cycle,
          status: state.status,
          breachAt: state.breachAt,
          fulfilledAt: state.fulfilledAt,
          elapsedSeconds: Math.floor(state.elapsedMs / 1000),
        }));
        expect(states).toEqual(referenceSla(events, timeline.targets, timeline.schedule, timeline.now));
      }),
      { numRuns: 200 },
    );
  }, 120_000);

  it("keep the same cycles when a requester's reply right after another is left out of the timeline", () => {
    fc.assert(
      fc.property(timelines, fc.integer({ min: 1, max: 5 }), (timeline, repeats) => {
        // Each requester reply said several times over, as a chat's run of messages would.
        const events = (eventsOf(timeline).events as Fact[]).flatMap((fact): Fact[] => (fact.kind === "requesterReply" ? Array.from({ length: repeats }, (_, i) => ({ ...fact, at: fact.at + i })) : [fact]));
        const kept: Fact[] = [];
        for (const fact of events) appendFact(kept, fact);
        expect(kept.length).toBeLessThanOrEqual(events.length);
        expect(cyclesOf(kept, timeline.targets)).toEqual(cyclesOf(events, timeline.targets));
      }),
      { numRuns: 300 },
    );
  });
});
