import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '@tidings/testing';

/**
 * The alert rules and the example Prometheus configuration, checked by Prometheus' own
 * promtool (Debian's `prometheus` package, installed by infra/scripts/setup.sh): the files
 * load, and every alert fires and stays quiet as alerts.test.yaml says.
 */
const dir = join(repoRoot(), 'infra', 'observability', 'prometheus');
const promtool = (...args: string[]) => execFileSync('promtool', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

interface RuleFile {
  groups: { rules: { alert?: string }[] }[];
}
interface RuleTests {
  tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

const alertNames = () => (parseYaml(readFileSync(join(dir, 'alerts.yaml'), 'utf8')) as RuleFile).groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));

describe('prometheus rules', () => {
  it('load in Prometheus, as does the example configuration', () => {
    const found = /SUCCESS: (\d+) rules found/.exec(promtool('check', 'rules', 'alerts.yaml'));
    assert.equal(Number(found?.[1]), alertNames().length);
    assert.match(promtool('check', 'config', 'prometheus.yml'), /SUCCESS/);
  });

  it('pass their unit tests (promtool test rules)', () => {
    try {
      assert.match(promtool('test', 'rules', 'alerts.test.yaml'), /SUCCESS/);
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string };
      assert.fail(`promtool test rules failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
  });

  it('test every alert both firing and quiet', () => {
    const alerts = alertNames();
    const cases = (parseYaml(readFileSync(join(dir, 'alerts.test.yaml'), 'utf8')) as RuleTests).tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const alert of alerts) {
      assert.ok(cases.some((c) => c.alertname === alert && c.exp_alerts.length > 0), `${alert} has no case where it fires`);
      assert.ok(cases.some((c) => c.alertname === alert && c.exp_alerts.length === 0), `${alert} has no case where it stays quiet`);
    }
  });
});
