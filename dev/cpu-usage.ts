// CPU time of processes, each with its descendants (a PostgreSQL postmaster's backends, a process's
// helpers), read from /proc: what each part of the pipeline costs per order in the benchmarks, what each
// test file costs in `npm test`, and how busy the machine was meanwhile. Linux only.
import { readdir, readFile } from 'node:fs/promises';

/** Clock ticks per second of /proc's CPU figures (USER_HZ; 100 on every Linux this runs on). */
const ticksPerSecond = 100;

interface ProcessTimes {
  pid: number;
  parentPid: number;
  /** utime + stime: the process's own CPU time, in ticks. */
  ownTicks: number;
  /** cutime + cstime: the CPU time of its children that exited and were waited for, in ticks. */
  reapedChildTicks: number;
}

async function processTimes(pid: number): Promise<ProcessTimes | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return null;
  // The command name (field 2) is in parentheses and may hold spaces: the fields after it are split.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const field = (number: number) => Number(fields[number - 3]);
  return { pid, parentPid: field(4), ownTicks: field(14) + field(15), reapedChildTicks: field(16) + field(17) };
}

/**
 * The CPU seconds of this process's children that have exited and been waited for, with theirs in turn
 * (what the kernel adds to cutime and cstime when a child is reaped).
 */
export async function reapedChildrenCpuSeconds(): Promise<number> {
  const times = await processTimes(process.pid);
  return times === null ? 0 : times.reapedChildTicks / ticksPerSecond;
}

/** CPU seconds of each named process tree (a process counts under its nearest named ancestor). */
export async function cpuSecondsByName(roots: Record<string, number>): Promise<Record<string, number>> {
  const entries = (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry));
  const all = (await Promise.all(entries.map((entry) => processTimes(Number(entry))))).filter((times) => times !== null);
  const byPid = new Map(all.map((times) => [times.pid, times]));
  const nameOfPid = new Map(Object.entries(roots).map(([name, pid]) => [pid, name]));
  const totals: Record<string, number> = Object.fromEntries(Object.keys(roots).map((name) => [name, 0]));
  for (const times of all) {
    let owner: string | undefined;
    for (let pid: number | undefined = times.pid; pid !== undefined && pid > 1 && owner === undefined; pid = byPid.get(pid)?.parentPid) owner = nameOfPid.get(pid);
    if (owner === undefined) continue;
    // A root's reaped children are its own; a descendant's are counted through it.
    totals[owner]! += times.ownTicks + (nameOfPid.has(times.pid) ? times.reapedChildTicks : 0);
  }
  return Object.fromEntries(Object.entries(totals).map(([name, ticks]) => [name, ticks / ticksPerSecond]));
}

/**
 * The machine's busy and total CPU seconds, summed over its cores, from /proc/stat; steal is the time a
 * virtual machine's cores waited for the host (other guests' load), counted as busy.
 */
export async function machineCpuSeconds(): Promise<{ busy: number; steal: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return { busy: busy / ticksPerSecond, steal: steal! / ticksPerSecond, total: (busy + idle! + iowait!) / ticksPerSecond };
}

/** A meter over named process trees: `since()` gives each one's CPU seconds since the last `reset()`. */
export function cpuMeter(roots: Record<string, number>) {
  let start: { byName: Record<string, number>; machine: { busy: number; steal: number; total: number } } | null = null;
  return {
    async reset(): Promise<void> {
      start = { byName: await cpuSecondsByName(roots), machine: await machineCpuSeconds() };
    },
    async since(): Promise<{ byName: Record<string, number>; machineBusyFraction: number; stealFraction: number }> {
      if (start === null) throw new Error('cpuMeter: since() before reset()');
      const [byName, machine] = [await cpuSecondsByName(roots), await machineCpuSeconds()];
      const used = Object.fromEntries(Object.entries(byName).map(([name, seconds]) => [name, seconds - (start!.byName[name] ?? 0)]));
      const total = machine.total - start.machine.total;
      return { byName: used, machineBusyFraction: (machine.busy - start.machine.busy) / total, stealFraction: (machine.steal - start.machine.steal) / total };
    },
  };
}
