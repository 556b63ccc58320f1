import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { freePort, repoRoot, waitFor } from '@tidings/testing';
import { PrometheusWatch, scaleRules } from './prometheus-watch';

const alertsFile = join(repoRoot(), 'infra', 'observability', 'prometheus', 'alerts.yaml');

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rulesOf = (yaml: string) => (parse(yaml) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const oneRule = (expr: string, duration = '5m') => `groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: '${expr}'\n        for: ${duration}\n        labels: { severity: warning }\n        annotations: { summary: 'waited 5m for {{ $value }}' }\n`;
const scaled = (expr: string, duration = '5m', factor = 30) => rulesOf(scaleRules(oneRule(expr, duration), factor))[0]!;

describe('scaleRules', () => {
  it('divides `for` by the factor, in whole seconds', () => {
    assert.equal(scaled('up == 0').for, '10s');
    assert.equal(scaled('up == 0', '1h').for, '120s');
    assert.equal(scaled('up == 0', '1h30m').for, '180s');
    assert.equal(scaled('up == 0', '10s').for, '1s', 'never below 1s');
  });

  it('divides range and subquery windows inside expr, and keeps thresholds, labels and annotations', () => {
    assert.equal(scaled('max by (topic) (deriv(x[30m])) > 0 and max(x) > 1000').expr, 'max by (topic) (deriv(x[60s])) > 0 and max(x) > 1000');
    assert.equal(scaled('sum(increase(y_total[30m])) > 10').expr, 'sum(increase(y_total[60s])) > 10');
    assert.equal(scaled('sum(rate(a[10m])) / sum(rate(b[15m])) > 0.2').expr, 'sum(rate(a[20s])) / sum(rate(b[30s])) > 0.2');
    assert.equal(scaled('max_over_time(rate(a[5m])[1h30m:1m]) > 5').expr, 'max_over_time(rate(a[10s])[180s:2s]) > 5');
    assert.equal(scaled('rate(a[1d]) offset 2h > 0', '5m', 60).expr, 'rate(a[1440s]) offset 120s > 0');
    assert.equal(scaled('a{le="[5m]"} > 300').expr, 'a{le="[5m]"} > 300', 'a string is not a window');
    const rule = scaled('up == 0');
    assert.deepEqual(rule.labels, { severity: 'warning' });
    assert.deepEqual(rule.annotations, { summary: 'waited 5m for {{ $value }}' });
  });

  it('gives the real alert rules a copy promtool accepts, changing only durations', async () => {
    const original = await readFile(alertsFile, 'utf8');
    const dir = await mkdtemp(join(tmpdir(), 'tidings-rules-'));
    try {
      await writeFile(join(dir, 'alerts.yaml'), scaleRules(original, 30));
      const out = execFileSync('promtool', ['check', 'rules', join(dir, 'alerts.yaml')], { encoding: 'utf8' });
      assert.match(out, new RegExp(`SUCCESS: ${rulesOf(original).length} rules found`));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const before = rulesOf(original);
    const after = rulesOf(scaleRules(original, 30));
    const withoutDurations = (expr: string) => expr.replace(/\[[^\]]+\]/g, '[]').replace(/\s+/g, ' ').trim();
    for (const [i, rule] of before.entries()) {
      assert.equal(withoutDurations(after[i]!.expr), withoutDurations(rule.expr), rule.alert);
      assert.deepEqual({ ...after[i], expr: '', for: '' }, { ...rule, expr: '', for: '' }, rule.alert);
    }
    assert.equal(after.find((r) => r.alert === 'TidingsOutboxStuck')?.for, '20s');
  });
});

/** A /metrics page with one gauge, whose value the test sets. */
async function gaugeServer(path: string, value: number): Promise<{ server: Server; address: string; set: (v: number) => void }> {
  const state = { value };
  const server = createServer((req, res) => {
    if (req.url !== path) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(`# TYPE tidings_subscriptions_outbox_pending gauge\ntidings_subscriptions_outbox_pending ${state.value}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}`, set: (v) => (state.value = v) };
}

describe('PrometheusWatch with a real Prometheus', () => {
  let dir: string;
  let watch: PrometheusWatch | undefined;
  const servers: Server[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidings-prometheus-'));
  });

  after(async () => {
    await watch?.stop();
    for (const server of servers) server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('fires TidingsOutboxStuck on a time scale of 60, resolves it, and follows new targets', async () => {
    const first = await gaugeServer('/metrics', 150);
    servers.push(first.server);
    watch = await PrometheusWatch.start({
      dir,
      port: await freePort(),
      rulesFile: alertsFile,
      timeScale: 60,
      scrapeIntervalSeconds: 1,
      targets: [{ job: 'subscriptions', instance: 'subscriptions-1', address: first.address }],
    });
    watch.watch(250);
    const started = new Date();

    const up = await waitFor('the target to be scraped', async () => (await watch!.query('up')).find((s) => s.value === 1), 20_000);
    assert.equal(up.metric.job, 'subscriptions');
    assert.equal(up.metric.instance, 'subscriptions-1');

    const outboxStuck = () => watch!.history().filter((e) => e.name === 'TidingsOutboxStuck');
    const firing = await waitFor('TidingsOutboxStuck to fire', () => outboxStuck().find((e) => e.firingAt), 30_000, 250);
    assert.ok(firing.pendingAt && firing.firingAt && firing.pendingAt < firing.firingAt, 'pending first, then firing');
    // for: 10m at a scale of 60 is 10 s; two scrape intervals and a poll of slack.
    const heldMs = firing.firingAt.getTime() - firing.pendingAt.getTime();
    assert.ok(heldMs >= 9_500 && heldMs <= 13_000, `held pending for ${heldMs} ms`);
    assert.deepEqual(firing.labels, { severity: 'warning' });
    assert.ok(watch.firedBetween('TidingsOutboxStuck', started, new Date()));
    assert.ok(!watch.firedBetween('TidingsOutboxStuck', new Date(0), started));
    assert.deepEqual(
      (await watch.alerts()).filter((a) => a.name === 'TidingsOutboxStuck').map((a) => a.state),
      ['firing'],
    );
    assert.deepEqual(watch.firingNow().map((e) => e.name), ['TidingsOutboxStuck']);

    first.set(0);
    const resolved = await waitFor('TidingsOutboxStuck to resolve', () => outboxStuck().find((e) => e.resolvedAt), 15_000, 250);
    assert.ok(resolved.resolvedAt! > resolved.firingAt!);
    assert.deepEqual(watch.firingNow(), []);
    assert.deepEqual(await watch.alerts(), [], 'Prometheus no longer lists a resolved alert');

    const second = await gaugeServer('/custom/metrics', 7);
    servers.push(second.server);
    await watch.setTargets([{ job: 'publisher', instance: 'publisher-2', address: second.address, metricsPath: '/custom/metrics' }]);
    const switched = await waitFor(
      'scraping to move to the new target',
      async () => {
        const ups = await watch!.query('up');
        return ups.length === 1 && ups[0]!.metric.instance === 'publisher-2' && ups[0]!.value === 1 && ups[0]!;
      },
      20_000,
      250,
    );
    assert.equal(switched.metric.job, 'publisher');
    const [gauge] = await waitFor('the new target\'s gauge', async () => {
      const samples = await watch!.query('tidings_subscriptions_outbox_pending');
      return samples.length === 1 && samples[0]!.value === 7 && samples;
    });
    assert.equal(gauge!.metric.instance, 'publisher-2');
  });
});
