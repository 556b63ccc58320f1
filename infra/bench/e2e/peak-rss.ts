import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Peak resident memory per process, per scenario: the kernel's high-water mark (VmHWM), which
 * writing `5` to /proc/<pid>/clear_refs resets (Linux 4.0 and later; this bench runs as the
 * processes' owner). Without the reset, the peak of a later scenario would hide behind an
 * earlier one's.
 */
export class PeakRss {
  /** The largest peak seen per process over every scenario so far, in MiB. */
  readonly overall: Record<string, number> = {};

  constructor(private readonly pids: () => Record<string, number | undefined>) {}

  /** Starts a scenario: each process' high-water mark drops to what it holds now. */
  reset(): void {
    for (const pid of Object.values(this.pids())) {
      if (pid === undefined) continue;
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
      } catch {
        // Not ours to reset (another user's process): its peak then spans earlier scenarios too.
      }
    }
  }

  /** Each process' peak since the last reset, in MiB. */
  read(): Record<string, number> {
    const peaks: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids())) {
      if (pid === undefined) continue;
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      peaks[name] = Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024);
      this.overall[name] = Math.max(this.overall[name] ?? 0, peaks[name]);
    }
    return peaks;
  }
}
