import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second, the unit of /proc's CPU times. */
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** Where each process group's CPU went, in seconds. */
export type CpuSeconds = Record<string, number>;

/**
 * CPU time (user + system) per named process and its children, from /proc: on a shared 2-core
 * machine, where the cores went during a scenario says more than any one process' profile.
 * A group's time includes its live children and the children it has reaped (PostgreSQL's
 * backends, say).
 */
export class CpuMeter {
  constructor(private readonly roots: () => Record<string, number | undefined>) {}

  sample(): CpuSeconds {
    const table = processTable();
    const seconds: CpuSeconds = {};
    for (const [name, root] of Object.entries(this.roots())) {
      if (root === undefined || !table.has(root)) continue;
      seconds[name] = [root, ...descendants(table, root)].reduce((sum, pid) => sum + (table.get(pid)?.ticks ?? 0), 0) / TICKS;
    }
    return seconds;
  }

  /** Seconds per group between two samples, and each group's share of the machine's cores. */
  static between(before: CpuSeconds, after: CpuSeconds, wallSeconds: number, cores: number): { seconds: CpuSeconds; shareOfCores: CpuSeconds } {
    const seconds: CpuSeconds = {};
    const shareOfCores: CpuSeconds = {};
    for (const [name, end] of Object.entries(after)) {
      const used = end - (before[name] ?? 0);
      seconds[name] = Math.round(used * 10) / 10;
      shareOfCores[name] = Math.round((used / (wallSeconds * cores)) * 1000) / 1000;
    }
    return { seconds, shareOfCores };
  }
}

interface ProcessStat {
  parent: number;
  /** utime + stime + cutime + cstime */
  ticks: number;
}

function processTable(): Map<number, ProcessStat> {
  const table = new Map<number, ProcessStat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const [utime, stime, cutime, cstime] = [fields[11], fields[12], fields[13], fields[14]].map(Number);
      table.set(Number(entry), { parent: Number(fields[1]), ticks: utime! + stime! + cutime! + cstime! });
    } catch {
      // exited while the table was read
    }
  }
  return table;
}

function descendants(table: Map<number, ProcessStat>, root: number): number[] {
  const found: number[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const parent = pending.pop()!;
    for (const [pid, stat] of table) {
      if (stat.parent !== parent) continue;
      found.push(pid);
      pending.push(pid);
    }
  }
  return found;
}

/** The first line of a pid file (Kafka's, PostgreSQL's postmaster.pid), or undefined. */
export function pidFrom(file: string | undefined): number | undefined {
  if (!file) return undefined;
  try {
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
