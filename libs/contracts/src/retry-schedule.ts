/**
 * The retry schedule (RETRY_SCHEDULE): comma-separated delays, each optionally repeated,
 * with an optional trailing jitter. `1h*24` is the default (a retry every hour for 24 hours
 * after the first failure); `10s,1m,10m,1h*23` backs off; `1h*24~10%` spreads each delay by
 * up to ±10%. Units: ms, s, m, h, d.
 *
 * The retry topic chain has one topic per distinct delay (see retryTopicName), so a topic's
 * records fall due in the order they were written and a paused partition never hides a
 * record due earlier than its head (up to jitter and Retry-After, which only shorten a wait).
 */
export interface RetrySchedule {
  /** Delay before retry n (index 0 = the wait after the first failed attempt). */
  delaysMs: number[];
  /** 0..1: each wait is scaled by a random factor in [1 - jitter, 1 + jitter]. */
  jitter: number;
}

export const DEFAULT_RETRY_SCHEDULE = '1h*24';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const STEP = /^(\d+)(ms|s|m|h|d)(?:\*(\d+))?$/;
/** Bounds a typo (`1h*2400`) from creating a schedule that runs for months. */
const MAX_RETRIES = 1_000;

export type ParsedSchedule = { ok: true; schedule: RetrySchedule } | { ok: false; reason: string };

export function parseRetrySchedule(text: string): ParsedSchedule {
  const [steps = '', jitterText, ...rest] = text.trim().split('~');
  if (rest.length > 0) return { ok: false, reason: 'at most one "~<percent>%" jitter suffix' };
  let jitter = 0;
  if (jitterText !== undefined) {
    const m = /^(\d{1,2})%$/.exec(jitterText.trim());
    if (!m) return { ok: false, reason: `jitter "~${jitterText}" must be a whole percentage below 100, e.g. ~10%` };
    jitter = Number(m[1]) / 100;
  }
  const delaysMs: number[] = [];
  for (const raw of steps.split(',').map((s) => s.trim())) {
    const m = STEP.exec(raw);
    if (!m) return { ok: false, reason: `"${raw}" is not a delay such as 30s, 10m, 1h or 1h*24` };
    const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
    const count = m[3] === undefined ? 1 : Number(m[3]);
    if (ms <= 0 || count <= 0) return { ok: false, reason: `"${raw}" must be a positive delay and count` };
    if (delaysMs.length + count > MAX_RETRIES) return { ok: false, reason: `more than ${MAX_RETRIES} retries` };
    for (let i = 0; i < count; i++) delaysMs.push(ms);
  }
  return { ok: true, schedule: { delaysMs, jitter } };
}

/** A short, stable label for a delay, used in topic names: 90000 → `90s`, 3600000 → `1h`. */
export function delayLabel(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms % UNIT_MS[unit]! === 0) return `${ms / UNIT_MS[unit]!}${unit}`;
  }
  return `${ms}ms`;
}

/** The distinct delays of a schedule, in first-use order: one retry topic each. */
export function distinctDelays(schedule: RetrySchedule): number[] {
  return [...new Set(schedule.delaysMs)];
}

/**
 * How long to wait before attempt `attempt + 1`, after attempt `attempt` (1-based) failed;
 * undefined once the schedule is exhausted. `retryAfterMs` (from 429/503) may shorten the
 * wait, never lengthen it beyond the schedule's interval.
 */
export function nextDelay(schedule: RetrySchedule, attempt: number, options: { retryAfterMs?: number; random?: () => number } = {}): number | undefined {
  const base = schedule.delaysMs[attempt - 1];
  if (base === undefined) return undefined;
  const spread = schedule.jitter === 0 ? 1 : 1 + schedule.jitter * (2 * (options.random ?? Math.random)() - 1);
  const scheduled = Math.round(base * spread);
  return options.retryAfterMs === undefined ? scheduled : Math.min(Math.max(0, options.retryAfterMs), scheduled);
}
