// The SLA clocks of one ticket, computed from its timeline: what happened and when (created, status
// changes, public replies by agents and by the requester), the targets that apply, and how time
// counts (calendar or business hours). A pure function of its inputs: the server stores the
// timeline and computes the state whenever it is read or changed, so a change of policy or
// priority applies the new targets to the whole history.
//
// The metrics, as Zendesk measures them:
// - firstReply: from creation to the first public reply by an agent. Never pauses.
// - nextReply: from a requester's public comment (when no reply is owed already) to the next
//   public agent reply. Never pauses.
// - periodicUpdate: between public agent replies (Zendesk's "pausable update"): each agent reply
//   ends a cycle and starts the next. Pauses while pending.
// - resolution: from creation (or reopening) to solved (Zendesk's "agent work time"). Pauses while
//   pending or on hold.
// Solving a ticket ends every running cycle (a solved ticket owes no reply); reopening it starts a
// new resolution cycle.
import type { Clock } from "./business-time.ts";

export const METRICS = ["firstReply", "nextReply", "periodicUpdate", "resolution"] as const;
export type Metric = (typeof METRICS)[number];
export type Status = "open" | "pending" | "on_hold" | "solved" | "closed";

export interface Target {
  minutes: number;
  businessHours: boolean;
}
export type Targets = Partial<Record<Metric, Target>>;

/** One moment of a ticket's timeline; `at` is milliseconds since the epoch. */
export type Fact =
  | { at: number; kind: "created"; status: Status }
  | { at: number; kind: "status"; status: Status }
  | { at: number; kind: "agentReply" }
  | { at: number; kind: "requesterReply" };

const PAUSED_IN: Record<Metric, readonly Status[]> = {
  firstReply: [],
  nextReply: [],
  periodicUpdate: ["pending"],
  resolution: ["pending", "on_hold"],
};
const DONE: readonly Status[] = ["solved", "closed"];

export interface Cycle {
  metric: Metric;
  /** 1 for the metric's first measurement on the ticket, then 2, 3… */
  cycle: number;
  startedAt: number;
  /** When it was fulfilled (a reply, solved); null while it runs or is paused. */
  endedAt: number | null;
  /** The stretches its clock ran, in order; the last one open (end null) while it runs. */
  runs: Array<[number, number | null]>;
}

/**
 * Adds a fact to a timeline, leaving out one that changes no cycle whatever the targets: a
 * requester's reply right after another (the first started nextReply, or could not, and nothing
 * has changed since). So a requester who writes many messages in a row, as in a chat, does not
 * grow the timeline that every write of the ticket carries.
 */
export function appendFact(facts: Fact[], fact: Fact): void {
  if (fact.kind === "requesterReply" && facts.at(-1)?.kind === "requesterReply") return;
  facts.push(fact);
}

/** Replays the timeline into every metric's cycles (for the metrics that have a target). */
export function cyclesOf(facts: readonly Fact[], targets: Targets): Cycle[] {
  const cycles: Cycle[] = [];
  const open = new Map<Metric, Cycle>();
  const counts = new Map<Metric, number>();
  let status: Status = "open";

  const start = (metric: Metric, at: number) => {
    if (!targets[metric] || open.has(metric)) return;
    const cycle = (counts.get(metric) ?? 0) + 1;
    counts.set(metric, cycle);
    const running = !PAUSED_IN[metric].includes(status);
    const entry: Cycle = { metric, cycle, startedAt: at, endedAt: null, runs: running ? [[at, null]] : [] };
    cycles.push(entry);
    open.set(metric, entry);
  };
  const end = (metric: Metric, at: number) => {
    const entry = open.get(metric);
    if (!entry) return;
    const last = entry.runs.at(-1);
    if (last && last[1] === null) last[1] = at;
    entry.endedAt = at;
    open.delete(metric);
  };

  for (const fact of facts) {
    switch (fact.kind) {
      case "created":
        status = fact.status;
        if (!DONE.includes(status)) {
          start("firstReply", fact.at);
          start("resolution", fact.at);
        }
        break;
      case "status": {
        const before: Status = status;
        status = fact.status;
        if (before === status) break;
        if (DONE.includes(status)) {
          for (const metric of [...open.keys()]) end(metric, fact.at);
          break;
        }
        if (DONE.includes(before)) start("resolution", fact.at);
        // Pause or resume what is still measuring.
        for (const entry of open.values()) {
          const paused = PAUSED_IN[entry.metric].includes(status);
          const last = entry.runs.at(-1);
          const running = last !== undefined && last[1] === null;
          if (paused && running) last[1] = fact.at;
          if (!paused && !running) entry.runs.push([fact.at, null]);
        }
        break;
      }
      case "agentReply":
        end("firstReply", fact.at);
        end("nextReply", fact.at);
        end("periodicUpdate", fact.at);
        if (!DONE.includes(status)) start("periodicUpdate", fact.at);
        break;
      case "requesterReply":
        if (!DONE.includes(status) && !open.has("firstReply")) start("nextReply", fact.at);
        break;
    }
  }
  return cycles;
}

/** Counted time of a cycle up to `now`. */
export function elapsedOf(cycle: Cycle, clock: Clock, now: number): number {
  let total = 0;
  for (const [from, to] of cycle.runs) {
    const until = Math.min(to ?? now, now);
    if (until > from) total += clock.between(from, until);
  }
  return total;
}

/**
 * The instant the cycle's counted time reaches `amount`: in a stretch it ran, or projected into the
 * stretch still running. Null when it is not reached (ended or paused before it).
 */
export function momentOf(cycle: Cycle, clock: Clock, amount: number): number | null {
  let remaining = amount;
  for (const [from, to] of cycle.runs) {
    if (to === null) return clock.add(from, remaining);
    const counted = clock.between(from, to);
    if (counted >= remaining) return clock.add(from, remaining);
    remaining -= counted;
  }
  return null;
}

export type MetricStatus = "active" | "paused" | "fulfilled" | "breached";

export interface MetricState {
  metric: Metric;
  cycle: number;
  status: MetricStatus;
  targetMinutes: number;
  businessHours: boolean;
  startedAt: number;
  /** When the target is (or was) breached; null while paused short of it, or when fulfilled in time. */
  breachAt: number | null;
  /** When the warning is due (the lead time before breachAt, on the same clock); null as breachAt. */
  warnAt: number | null;
  fulfilledAt: number | null;
  /** Counted time so far (until fulfilled). */
  elapsedMs: number;
}

/** Each cycle's state at `now`. A cycle fulfilled after its breach moment stays breached. */
export function statesOf(cycles: readonly Cycle[], targets: Targets, clockFor: (target: Target) => Clock, now: number, warningMinutes: number): MetricState[] {
  return cycles.map((cycle) => {
    const target = targets[cycle.metric]!;
    const clock = clockFor(target);
    const amount = target.minutes * 60_000;
    const reached = momentOf(cycle, clock, amount);
    const breachAt = reached !== null && (cycle.endedAt === null || reached < cycle.endedAt) ? reached : null;
    const warned = warningMinutes > 0 ? momentOf(cycle, clock, Math.max(0, amount - warningMinutes * 60_000)) : null;
    const warnAt = warned !== null && (cycle.endedAt === null || warned < cycle.endedAt) ? warned : null;
    const until = cycle.endedAt ?? now;
    const running = cycle.runs.at(-1)?.[1] === null;
    let status: MetricStatus;
    if (breachAt !== null && breachAt <= until) status = "breached";
    else if (cycle.endedAt !== null) status = "fulfilled";
    else status = running ? "active" : "paused";
    return {
      metric: cycle.metric,
      cycle: cycle.cycle,
      status,
      targetMinutes: target.minutes,
      businessHours: target.businessHours === true,
      startedAt: cycle.startedAt,
      breachAt,
      warnAt,
      fulfilledAt: cycle.endedAt,
      elapsedMs: elapsedOf(cycle, clock, until),
    };
  });
}

/** The latest cycle of each metric, in METRICS order: what a ticket shows. */
export function latestStates(states: readonly MetricState[]): MetricState[] {
  const latest = new Map<Metric, MetricState>();
  for (const state of states) latest.set(state.metric, state);
  return METRICS.flatMap((metric) => (latest.has(metric) ? [latest.get(metric)!] : []));
}

/** The earliest breach moment of a cycle still open (breached ones included: they are the most urgent). */
export function nextBreachOf(states: readonly MetricState[]): number | null {
  let next: number | null = null;
  for (const state of states) {
    if (state.fulfilledAt === null && state.breachAt !== null && (next === null || state.breachAt < next)) next = state.breachAt;
  }
  return next;
}
