import type { Readiness, ReadinessCheck } from './readiness-registry';

/**
 * Shares one run of an expensive check (a database round trip) between every probe that
 * arrives while it runs and within `ttlMs` after it answered: a burst of probes from several
 * kubelets and load balancers costs one query, and a hung database is never asked twice at once.
 */
export function cachedCheck(check: ReadinessCheck, ttlMs: number, now: () => number = Date.now): ReadinessCheck {
  let last: { answer: Promise<Readiness>; answeredAt?: number } | undefined;
  return () => {
    if (last && (last.answeredAt === undefined || now() - last.answeredAt < ttlMs)) return last.answer;
    const entry: { answer: Promise<Readiness>; answeredAt?: number } = { answer: (async () => check())() };
    const settled = () => (entry.answeredAt = now());
    void entry.answer.then(settled, settled);
    last = entry;
    return entry.answer;
  };
}
