/** One check's answer: ready, or not and why (the reason is what an operator reads in the 503). */
export type Readiness = { ready: true } | { ready: false; reason: string };

export type ReadinessCheck = () => Readiness | Promise<Readiness>;

export interface ReadinessReport {
  ready: boolean;
  /** Every registered check, by name. */
  checks: string[];
  notReady: { name: string; reason: string }[];
}

export const READY: Readiness = { ready: true };
export const notReady = (reason: string): Readiness => ({ ready: false, reason });

/** Below the chart's probe timeout (3 s), so a hung check reads as a reason, not as a probe timeout. */
const DEFAULT_CHECK_TIMEOUT_MS = 2_000;

/**
 * The named readiness checks of one service: components register what they need (a Kafka
 * consumer in its group, the database answering, a listener open) and `GET /ready` asks them
 * all. A check that throws or does not answer in time counts as not ready, with that reason.
 */
export class ReadinessRegistry {
  private readonly checks = new Map<string, { check: ReadinessCheck; timeoutMs: number }>();

  constructor(private readonly defaultTimeoutMs = DEFAULT_CHECK_TIMEOUT_MS) {}

  /** Names are unique within a service: a second check of the same name is a wiring mistake. */
  register(name: string, check: ReadinessCheck, options: { timeoutMs?: number } = {}): void {
    if (this.checks.has(name)) throw new Error(`readiness check "${name}" is registered twice`);
    this.checks.set(name, { check, timeoutMs: options.timeoutMs ?? this.defaultTimeoutMs });
  }

  async evaluate(): Promise<ReadinessReport> {
    const entries = [...this.checks];
    const results = await Promise.all(entries.map(([, { check, timeoutMs }]) => answer(check, timeoutMs)));
    const notReadyChecks = entries.flatMap(([name], i) => {
      const result = results[i]!;
      return result.ready ? [] : [{ name, reason: result.reason }];
    });
    return { ready: notReadyChecks.length === 0, checks: entries.map(([name]) => name), notReady: notReadyChecks };
  }
}

async function answer(check: ReadinessCheck, timeoutMs: number): Promise<Readiness> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Readiness>((resolve) => (timer = setTimeout(() => resolve(notReady(`no answer within ${timeoutMs} ms`)), timeoutMs)));
  try {
    return await Promise.race([Promise.resolve().then(check), timeout]);
  } catch (error) {
    return notReady(error instanceof Error ? error.message : String(error));
  } finally {
    clearTimeout(timer);
  }
}
