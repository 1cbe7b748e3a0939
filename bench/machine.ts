// How busy the rest of the machine is. The benchmark shares its 2 CPUs with whatever else runs
// (a test suite, another benchmark), which would show up as slowness of our own; so each step
// waits for a quiet machine first and reports the CPU that processes other than ours used while
// it ran. Linux only (/proc); elsewhere the figures are left out.
import fs from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux architecture Node runs on

interface ProcSample {
  at: number;
  /** pid → [parent pid, user+system ticks, command name] */
  processes: Map<number, [number, number, string]>;
}

function sample(): ProcSample | undefined {
  if (!fs.existsSync("/proc/self/stat")) return undefined;
  const processes = new Map<number, [number, number, string]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // After "pid (comm) ": state ppid ... utime is field 14, stime 15 (comm may hold spaces).
      const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
      const command = text.slice(text.indexOf("(") + 1, text.lastIndexOf(")"));
      processes.set(Number(entry), [Number(fields[1]), Number(fields[11]) + Number(fields[12]), command]);
    } catch {
      // exited meanwhile
    }
  }
  return { at: performance.now(), processes };
}

export type Group = "generator" | "server" | "postgres" | "others";

/**
 * Who each process is: this one (the load generator), a server started under it (a node child
 * and anything below), PostgreSQL (the postmaster child and its backends), or someone else's.
 */
function groups(processes: Map<number, [number, number, string]>): Map<number, Group> {
  const group = new Map<number, Group>([[process.pid, "generator"]]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, [parent, , command]] of processes) {
      if (group.has(pid)) continue;
      const parentGroup = group.get(parent);
      if (parentGroup === undefined) continue;
      group.set(pid, parentGroup !== "generator" ? parentGroup : command === "postgres" ? "postgres" : "server");
      grew = true;
    }
  }
  return group;
}

export type CpuUse = Record<Group, number> & {
  /** The busiest processes among the others, as "command pid: CPUs". */
  busiestOthers: string[];
  /** The server group's processes, pid → CPUs (the API and a worker of its own, say). */
  servers: Map<number, number>;
};

/** CPUs' worth of work (1.0 = one core) done by each group between two samples. */
function cpuBetween(before: ProcSample, after: ProcSample): CpuUse {
  const group = groups(after.processes);
  const seconds = (after.at - before.at) / 1000;
  const cpus = (ticks: number) => ticks / TICKS_PER_SECOND / seconds;
  const use: CpuUse = { generator: 0, server: 0, postgres: 0, others: 0, busiestOthers: [], servers: new Map() };
  const others: [string, number][] = [];
  for (const [pid, [, used, command]] of after.processes) {
    const ticks = used - (before.processes.get(pid)?.[1] ?? 0);
    const owner = group.get(pid) ?? "others";
    use[owner] += cpus(ticks);
    if (owner === "others" && ticks > 0) others.push([`${command} ${pid}`, cpus(ticks)]);
    if (owner === "server") use.servers.set(pid, cpus(ticks));
  }
  use.busiestOthers = others
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([name, n]) => `${name}: ${n.toFixed(2)}`);
  return use;
}

/**
 * Waits until the given groups (by default, other people's processes) use less than `threshold`
 * CPUs over a second, or `maxWaitMs` passed; returns what they last used.
 */
export async function waitForQuiet(threshold = 0.15, maxWaitMs = 60_000, onWait?: (busy: number) => void, watched: readonly Group[] = ["others"]): Promise<number | undefined> {
  const deadline = Date.now() + maxWaitMs;
  let reported = false;
  for (;;) {
    const before = sample();
    if (!before) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = sample()!;
    const use = cpuBetween(before, after);
    const busy = watched.reduce((sum, group) => sum + use[group], 0);
    if (busy < threshold || Date.now() > deadline) return busy;
    if (!reported) onWait?.(busy);
    reported = true;
  }
}

/** Starts counting CPU by group; `stop()` says how much each used since (undefined off Linux). */
export function watchCpu(): { stop(): CpuUse | undefined } {
  const before = sample();
  return {
    stop() {
      const after = before && sample();
      return before && after ? cpuBetween(before, after) : undefined;
    },
  };
}
