// How much CPU went to processes that are not part of the benchmark while a run was measured
// (Linux /proc). The machine may be shared; a round measured while something else was busy is
// worth knowing about, since every contender competes for the same cores.

import { readFileSync } from 'node:fs';

export interface CpuSnapshot {
  /** All CPUs, in clock ticks. */
  total: number;
  busy: number;
  /** user+system ticks of the given processes (all their threads). */
  ours: number;
}

/** user+system CPU of a process (all threads), in clock ticks; 0 if it is gone. */
export function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

export function cpuSnapshot(pids: Iterable<number>): CpuSnapshot | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] as string;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number) as number[];
    const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
    let ours = 0;
    for (const pid of pids) ours += processTicks(pid);
    return { total: busy + (idle ?? 0) + (iowait ?? 0), busy, ours };
  } catch {
    return null;
  }
}

/** Share of the machine's CPU capacity used by other processes between two snapshots (0..1). */
export function foreignShare(a: CpuSnapshot | null, b: CpuSnapshot | null): number {
  if (!a || !b || b.total <= a.total) return NaN;
  return Math.max(0, (b.busy - a.busy - (b.ours - a.ours)) / (b.total - a.total));
}

/** Clock ticks per second of /proc figures (USER_HZ; 100 on every mainstream Linux). */
export const TICKS_PER_SECOND = 100;
