import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { open, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parser } from '@prometheus-io/lezer-promql';
import { parse, stringify } from 'yaml';

/**
 * A real Prometheus for chaos runs: it scrapes the services and evaluates the repository's alert
 * rules, time-compressed (scaleRules) so that a `for: 10m` fault shows within a run of minutes.
 */

/** One scrape target; `job` and `instance` become its labels as given. */
export interface ScrapeTarget {
  job: string;
  instance: string;
  /** host:port */
  address: string;
  metricsPath?: string;
}

export interface PrometheusWatchOptions {
  dir: string;
  port: number;
  rulesFile: string;
  timeScale: number;
  scrapeIntervalSeconds: number;
  targets: ScrapeTarget[];
}

export interface ActiveAlert {
  name: string;
  state: 'pending' | 'firing';
  /** The alert's labels, without `alertname` (that is `name`). */
  labels: Record<string, string>;
  activeAt: string;
}

/** One episode of an alert: from becoming active until it resolved or went away. */
export interface AlertHistoryEntry {
  name: string;
  labels: Record<string, string>;
  /** When Prometheus first found the condition true (its activeAt). */
  pendingAt?: Date;
  /** The first poll that saw it firing. */
  firingAt?: Date;
  /** The first poll that no longer saw it, after it had fired. */
  resolvedAt?: Date;
}

const UNIT_MS: Record<string, number> = { y: 365 * 86_400_000, w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** A Prometheus duration (`1h30m`, `500ms`; a bare number is seconds, as in newer PromQL) in ms. */
function durationMs(text: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const parts = [...text.matchAll(/(\d+)(ms|y|w|d|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) throw new Error(`not a Prometheus duration: "${text}"`);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNIT_MS[unit!]!, 0);
}

/** Whole seconds, never below 1s (Prometheus 2.42 refuses `0s` windows), except a zero `for`. */
function scaleDuration(text: string, factor: number): string {
  const ms = durationMs(text);
  return ms === 0 ? '0s' : `${Math.max(1, Math.round(ms / factor / 1000))}s`;
}

/** Scales the durations the grammar marks as such: range, subquery range and step, offset. */
function scaleExpr(expr: string, factor: number): string {
  const spans: { from: number; to: number }[] = [];
  const tree = parser.parse(expr);
  tree.iterate({
    enter: ({ node }) => {
      if (node.type.isError) throw new Error(`cannot parse PromQL at ${node.from}: ${expr}`);
      if (node.name === 'NumberDurationLiteralInDurationContext') spans.push({ from: node.from, to: node.to });
    },
  });
  // Right to left, so earlier offsets stay valid.
  return spans.reverse().reduce((out, { from, to }) => out.slice(0, from) + scaleDuration(out.slice(from, to), factor) + out.slice(to), expr);
}

type Rule = Record<string, unknown> & { expr?: unknown };
interface RuleFile {
  groups?: (Record<string, unknown> & { rules?: Rule[] })[];
}

/**
 * The rule file with every duration divided by `factor`: each rule's `for` and
 * `keep_firing_for`, a group's `interval`, and the durations inside `expr`. Thresholds, labels
 * and annotations are unchanged (comments are not kept).
 */
export function scaleRules(rulesYaml: string, factor: number): string {
  if (!(factor > 0) || !Number.isFinite(factor)) throw new Error(`timeScale must be a positive number, got ${factor}`);
  const file = parse(rulesYaml) as RuleFile;
  for (const group of file.groups ?? []) {
    if (typeof group.interval === 'string') group.interval = scaleDuration(group.interval, factor);
    for (const rule of group.rules ?? []) {
      for (const field of ['for', 'keep_firing_for']) {
        const value = rule[field];
        if (typeof value === 'string') rule[field] = scaleDuration(value, factor);
      }
      if (typeof rule.expr === 'string') rule.expr = scaleExpr(rule.expr, factor);
    }
  }
  // lineWidth 0: expressions stay on one line, as promtool prints them in errors.
  return stringify(file, { lineWidth: 0 });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const keyOf = (name: string, labels: Record<string, string>) => JSON.stringify([name, Object.entries(labels).sort(([a], [b]) => a.localeCompare(b))]);
/** Prometheus writes special values as strings Number() does not read. */
const sampleValue = (v: string) => (v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v));
const seconds = (s: number) => (Number.isInteger(s) ? `${s}s` : `${Math.round(s * 1000)}ms`);

interface Episode {
  entry: AlertHistoryEntry;
  activeAt: string;
  state: 'pending' | 'firing' | 'ended';
}

export class PrometheusWatch {
  private readonly episodes = new Map<string, Episode[]>();
  private polling?: { stop: boolean; done: Promise<void> };

  private constructor(
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
    private readonly baseUrl: string,
    private readonly targetsFile: string,
  ) {}

  static async start(options: PrometheusWatchOptions): Promise<PrometheusWatch> {
    const { dir, port, scrapeIntervalSeconds: interval } = options;
    const rulesFile = join(dir, 'alerts.scaled.yaml');
    const targetsFile = join(dir, 'targets.json');
    const configFile = join(dir, 'prometheus.yml');
    await writeFile(rulesFile, scaleRules(await readFile(options.rulesFile, 'utf8'), options.timeScale));
    await writeTargets(targetsFile, options.targets);
    // One scrape config for every job: a `job` label on the target wins over job_name, so jobs
    // can come and go through the file without a reload.
    const config = {
      global: { scrape_interval: seconds(interval), evaluation_interval: seconds(interval) },
      rule_files: [rulesFile],
      scrape_configs: [{ job_name: 'chaos', file_sd_configs: [{ files: [targetsFile] }] }],
    };
    await writeFile(configFile, stringify(config));
    try {
      await promisify(execFile)('promtool', ['check', 'config', configFile], { encoding: 'utf8' });
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      throw new Error(`promtool rejects ${configFile}:\n${e.stdout ?? ''}${e.stderr ?? e.message}`);
    }
    const log = await open(join(dir, 'prometheus.log'), 'a');
    const args = [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--web.enable-lifecycle'];
    const child = spawn('prometheus', args, { stdio: ['ignore', log.fd, log.fd] });
    await log.close(); // the child holds its own copy of the descriptor
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
    const watch = new PrometheusWatch(child, exited, `http://127.0.0.1:${port}`, targetsFile);
    try {
      await Promise.race([watch.ready(dir), spawnError]);
    } catch (error) {
      await watch.stop();
      throw error;
    }
    return watch;
  }

  /** Replaces every target; Prometheus notices the file (its discovery sends updates every 5 s). */
  async setTargets(targets: ScrapeTarget[]): Promise<void> {
    await writeTargets(this.targetsFile, targets);
  }

  /** Pending and firing alerts (resolved ones are not listed by Prometheus). */
  async alerts(): Promise<ActiveAlert[]> {
    const data = await this.api<{ alerts: { labels: Record<string, string>; state: string; activeAt: string }[] }>('/api/v1/alerts');
    return data.alerts
      .filter((a) => a.state === 'pending' || a.state === 'firing')
      .map(({ labels: { alertname, ...labels }, state, activeAt }) => ({ name: alertname ?? '', state: state as ActiveAlert['state'], labels, activeAt }));
  }

  /** An instant query; a scalar result comes back as one sample without labels. */
  async query(expr: string): Promise<{ metric: Record<string, string>; value: number }[]> {
    const data = await this.api<{ resultType: string; result: unknown }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
    if (data.resultType === 'vector') {
      return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((s) => ({ metric: s.metric, value: sampleValue(s.value[1]) }));
    }
    if (data.resultType === 'scalar') return [{ metric: {}, value: sampleValue((data.result as [number, string])[1]) }];
    throw new Error(`query "${expr}" returned a ${data.resultType}, not an instant vector`);
  }

  /** Starts recording alert transitions into history(), polling every `pollMs`. */
  watch(pollMs = 1000): void {
    if (this.polling) return;
    const polling = { stop: false, done: Promise.resolve() };
    polling.done = (async () => {
      while (!polling.stop) {
        // A failed poll says nothing about the alerts: record nothing, try again.
        await this.alerts().then((alerts) => this.record(alerts, new Date()), () => undefined);
        await sleep(pollMs);
      }
    })();
    this.polling = polling;
  }

  history(): AlertHistoryEntry[] {
    return [...this.episodes.values()].flat().map((e) => ({ ...e.entry, labels: { ...e.entry.labels } }));
  }

  /** Whether `name` started firing within [from, to], by the polls of watch(). */
  firedBetween(name: string, from: Date, to: Date): boolean {
    return this.history().some((e) => e.name === name && e.firingAt !== undefined && e.firingAt >= from && e.firingAt <= to);
  }

  /** Alerts firing at the last poll of watch(). */
  firingNow(): AlertHistoryEntry[] {
    return [...this.episodes.values()].flat().filter((e) => e.state === 'firing').map((e) => ({ ...e.entry, labels: { ...e.entry.labels } }));
  }

  /** Stops polling and Prometheus (SIGTERM, then SIGKILL after 10 s); resolves once it exited. */
  async stop(): Promise<void> {
    if (this.polling) {
      this.polling.stop = true;
      await this.polling.done;
    }
    if (this.child.exitCode !== null || this.child.signalCode !== null || this.child.pid === undefined) return;
    this.child.kill('SIGTERM');
    const kill = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(kill);
  }

  private record(alerts: ActiveAlert[], now: Date): void {
    const seen = new Set<Episode>();
    for (const alert of alerts) {
      const key = keyOf(alert.name, alert.labels);
      const list = this.episodes.get(key) ?? [];
      let episode = list.at(-1);
      // A new activeAt is a new episode, even if the end of the last one fell between polls.
      if (!episode || episode.state === 'ended' || episode.activeAt !== alert.activeAt) {
        if (episode) this.end(episode, now);
        episode = { entry: { name: alert.name, labels: alert.labels, pendingAt: new Date(alert.activeAt) }, activeAt: alert.activeAt, state: 'pending' };
        list.push(episode);
        this.episodes.set(key, list);
      }
      if (alert.state === 'firing' && episode.state !== 'firing') {
        episode.state = 'firing';
        episode.entry.firingAt = now;
      }
      seen.add(episode);
    }
    for (const list of this.episodes.values()) {
      const last = list.at(-1);
      if (last && !seen.has(last)) this.end(last, now);
    }
  }

  private end(episode: Episode, now: Date): void {
    if (episode.state === 'firing') episode.entry.resolvedAt = now;
    episode.state = 'ended';
  }

  private async ready(dir: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) break;
      const status = await fetch(`${this.baseUrl}/-/ready`, { signal: AbortSignal.timeout(2000) }).then((r) => r.status, () => 0);
      if (status === 200) return;
      await sleep(200);
    }
    const log = await readFile(join(dir, 'prometheus.log'), 'utf8').catch(() => '');
    throw new Error(`Prometheus at ${this.baseUrl} did not become ready within 30 s; the end of its log:\n${log.split('\n').slice(-20).join('\n')}`);
  }

  private async api<T>(path: string): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${res.status} ${body.error ?? ''}`);
    return body.data;
  }
}

/** Written beside and renamed over, so Prometheus never reads half a file. */
async function writeTargets(file: string, targets: ScrapeTarget[]): Promise<void> {
  const groups = targets.map((t) => ({
    targets: [t.address],
    labels: { job: t.job, instance: t.instance, ...(t.metricsPath ? { __metrics_path__: t.metricsPath } : {}) },
  }));
  // A name of its own per write (concurrent calls), which file_sd's pattern does not match.
  const temp = `${file}.${randomUUID()}.tmp`;
  await writeFile(temp, JSON.stringify(groups, null, 2));
  await rename(temp, file);
}
