import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '@tidings/testing';
import { analysePromql, documentedMetrics, type PromqlFacts } from './promql';

/**
 * infra/observability must keep working against the metrics the services document: every
 * dashboard query and alert rule parses as PromQL (the official grammar) and names only
 * metrics, labels and label values of the root README's `## Metrics` table.
 */
const root = repoRoot();
const obs = join(root, 'infra/observability');
const read = (path: string) => readFileSync(join(obs, path), 'utf8');
const yaml = <T>(path: string) => parseYaml(read(path)) as T;

const metrics = documentedMetrics(readFileSync(join(root, 'README.md'), 'utf8'));
const services = readdirSync(join(root, 'services'));
// prom-client's default metrics, which the README documents by their prefix, not one by one.
const processMetric = new RegExp(`^tidings_(${services.join('|')})_(process|nodejs)_\\w+$`);
const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/;
// Labels Prometheus adds to every scraped series (a histogram bucket's `le` is allowed below).
const SCRAPE_LABELS = ['job', 'instance'];

/** The documented metric an expression's name refers to (a histogram series → the histogram). */
function documented(name: string) {
  return metrics.get(name) ?? (HISTOGRAM_SUFFIX.test(name) ? metrics.get(name.replace(HISTOGRAM_SUFFIX, '')) : undefined);
}

/** Parses the expression and checks every name in it against the README; returns its facts. */
function checkPromql(where: string, expr: string): PromqlFacts {
  const facts = analysePromql(expr);
  assert.deepEqual(facts.errors, [], `${where}: not valid PromQL: ${expr}`);
  assert.ok(facts.metrics.size > 0, `${where}: names no metric: ${expr}`);
  const allowedLabels = new Set(SCRAPE_LABELS);
  for (const name of facts.metrics) {
    if (processMetric.test(name)) continue;
    const metric = documented(name);
    assert.ok(metric, `${where}: ${name} is not in the README's Metrics table`);
    metric.labels.forEach((label) => allowedLabels.add(label));
    if (name.endsWith('_bucket')) allowedLabels.add('le');
  }
  for (const label of facts.labels) assert.ok(allowedLabels.has(label), `${where}: label ${label} is not documented for ${[...facts.metrics].join(', ')}`);
  for (const { metric, label, op, value } of facts.matchers) {
    const known = documented(metric)?.values.get(label);
    // Exact values, and regexes that are plain alternatives (a|b), must be documented values.
    const listed = op.includes('~') ? (/^[\w-]+(\|[\w-]+)*$/.test(value) ? value.split('|') : []) : [value];
    for (const v of known ? listed : []) assert.ok(known!.has(v), `${where}: ${label}="${v}" is not a documented value of ${metric}`);
  }
  return facts;
}

interface Datasource {
  name: string;
  type: string;
  uid: string;
  jsonData?: { serviceMap?: { datasourceUid: string }; tracesToMetrics?: { datasourceUid: string } };
}
const datasources = yaml<{ datasources: Datasource[] }>('grafana/provisioning/datasources/tidings.yaml').datasources;
const datasourceType = new Map(datasources.map((ds) => [ds.uid, ds.type]));

interface Target {
  refId: string;
  datasource?: { uid: string };
  expr?: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid: string };
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
}

const dashboardDir = join(obs, 'grafana/dashboards');
const dashboards = readdirSync(dashboardDir)
  .filter((file) => file.endsWith('.json'))
  .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(dashboardDir, file), 'utf8')) as Dashboard }));
/** Every panel, with those inside collapsed rows. */
const panelsOf = (d: Dashboard) => d.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
// Grafana substitutes its interval variables before Prometheus sees the query; so do we.
const interpolate = (expr: string) => expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m');

describe('Grafana dashboards', () => {
  it('are the two expected, each with its uid, title and a current schema', () => {
    assert.deepEqual(dashboards.map((d) => d.file).sort(), ['tidings-egress.json', 'tidings-pipeline.json']);
    for (const { file, dashboard } of dashboards) {
      assert.equal(dashboard.uid, file.replace(/\.json$/, ''));
      assert.match(dashboard.title, /^Tidings /);
      assert.ok(dashboard.schemaVersion >= 39, `${file}: schemaVersion ${dashboard.schemaVersion}`);
      const ids = panelsOf(dashboard).map((p) => p.id);
      assert.equal(new Set(ids).size, ids.length, `${file}: panel ids repeat`);
    }
  });

  it('query only data sources the provisioning defines, and set a unit on every graph', () => {
    for (const { file, dashboard } of dashboards) {
      for (const panel of panelsOf(dashboard)) {
        const where = `${file} «${panel.title}»`;
        assert.ok(datasourceType.has(panel.datasource?.uid ?? ''), `${where}: data source ${panel.datasource?.uid} is not provisioned`);
        assert.ok((panel.targets ?? []).length > 0, `${where}: no queries`);
        for (const t of panel.targets ?? []) assert.ok(datasourceType.has(t.datasource?.uid ?? panel.datasource!.uid), `${where} ${t.refId}: unknown data source`);
        if (panel.type === 'timeseries' || panel.type === 'stat') assert.ok(panel.fieldConfig?.defaults?.unit, `${where}: no unit`);
      }
    }
  });

  it('use valid PromQL over documented metrics, labels and values only', () => {
    let checked = 0;
    for (const { file, dashboard } of dashboards) {
      for (const panel of panelsOf(dashboard)) {
        for (const target of panel.targets ?? []) {
          if (datasourceType.get(target.datasource?.uid ?? panel.datasource!.uid) !== 'prometheus') continue;
          const where = `${file} «${panel.title}» ${target.refId}`;
          assert.ok(target.expr, `${where}: empty query`);
          const expr = interpolate(target.expr);
          assert.doesNotMatch(expr, /\$/, `${where}: a variable no dashboard defines`);
          checkPromql(where, expr);
          checked += 1;
        }
      }
    }
    assert.ok(checked > 40, `only ${checked} queries found`);
  });

  it('show every documented metric somewhere', () => {
    const shown = new Set(
      dashboards.flatMap(({ dashboard }) =>
        panelsOf(dashboard).flatMap((p) => (p.targets ?? []).flatMap((t) => (t.expr ? [...analysePromql(interpolate(t.expr)).metrics] : []))),
      ),
    );
    const missing = [...metrics.keys()].filter((name) => ![...shown].some((s) => s === name || s.replace(HISTOGRAM_SUFFIX, '') === name));
    assert.deepEqual(missing, [], 'documented metrics no dashboard shows');
  });
});

interface Rule {
  alert?: string;
  expr?: string;
  for?: string;
  labels?: { severity?: string };
  annotations?: { summary?: string; description?: string };
}
const ruleFile = yaml<{ groups?: { name?: string; rules?: Rule[] }[] }>('prometheus/alerts.yaml');

describe('Prometheus alerting rules', () => {
  const alerts = (ruleFile.groups ?? []).flatMap((g) => g.rules ?? []);

  it('have the rule-file structure, and each alert its expr, for, severity, summary and description', () => {
    assert.ok(Array.isArray(ruleFile.groups) && ruleFile.groups.length > 0, 'no groups');
    for (const group of ruleFile.groups) {
      assert.ok(group.name, 'a group without a name');
      assert.ok(Array.isArray(group.rules) && group.rules.length > 0, `group ${group.name}: no rules`);
    }
    const names = alerts.map((a) => a.alert);
    assert.equal(new Set(names).size, names.length, 'alert names repeat');
    for (const rule of alerts) {
      assert.match(rule.alert ?? '', /^Tidings[A-Z]\w+$/);
      assert.ok(rule.expr?.trim(), `${rule.alert}: no expr`);
      assert.match(rule.for ?? '', /^(\d+(ms|s|m|h|d|w|y))+$/, `${rule.alert}: for`);
      assert.ok(['critical', 'warning', 'info'].includes(rule.labels?.severity ?? ''), `${rule.alert}: severity`);
      assert.ok(rule.annotations?.summary?.trim(), `${rule.alert}: summary`);
      assert.ok(rule.annotations?.description?.trim(), `${rule.alert}: description`);
    }
  });

  it('use valid PromQL over documented metrics, and annotate only labels the result keeps', () => {
    for (const rule of alerts) {
      const facts = checkPromql(rule.alert!, rule.expr!);
      const annotations = `${rule.annotations?.summary} ${rule.annotations?.description}`;
      for (const [, label] of annotations.matchAll(/\$labels\.(\w+)/g)) {
        assert.ok(facts.groupedBy.has(label!), `${rule.alert}: annotates $labels.${label}, which its expr aggregates away`);
      }
    }
  });

  it('cover overdue retries, retry backlog, dead letters, egress refusals, consumer lag and delivery failures', () => {
    const usedBy = alerts.map((rule) => analysePromql(rule.expr ?? '').metrics);
    const alertsUsing = (...names: string[]) => usedBy.filter((used) => names.every((n) => used.has(n)));
    const required = [
      ['tidings_publisher_retry_oldest_due_age_seconds'],
      ['tidings_publisher_retry_backlog'],
      ['tidings_publisher_dead_lettered_batches_total'],
      ['tidings_trigger_dead_letters_total'],
      ['tidings_egress_refusals_total', 'tidings_egress_requests_total'], // a ratio, not a count
      ['tidings_kafka_consumer_lag'],
      ['tidings_publisher_deliveries_total'],
    ];
    for (const names of required) assert.ok(alertsUsing(...names).length > 0, `no alert on ${names.join(' / ')}`);
  });
});

describe('Prometheus scrape config', () => {
  const config = yaml<{ rule_files: string[]; scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[] }>(
    'prometheus/prometheus.yml',
  );

  it('loads the rules file and scrapes every service under its tidings-<service> job', () => {
    assert.deepEqual(config.rule_files.map((f) => existsSync(join(obs, 'prometheus', f))), [true]);
    assert.deepEqual(config.scrape_configs.map((s) => s.job_name).sort(), services.map((s) => `tidings-${s}`).sort());
    for (const job of config.scrape_configs) {
      assert.equal(job.metrics_path ?? '/metrics', '/metrics');
      assert.ok(job.static_configs.flatMap((s) => s.targets).length > 0, `${job.job_name}: no targets`);
    }
  });
});

describe('Grafana provisioning', () => {
  it('defines the Prometheus and Tempo data sources the dashboards name, linked to each other', () => {
    assert.equal(datasourceType.get('tidings-prometheus'), 'prometheus');
    assert.equal(datasourceType.get('tidings-tempo'), 'tempo');
    const tempo = datasources.find((ds) => ds.type === 'tempo')!;
    for (const link of [tempo.jsonData?.serviceMap, tempo.jsonData?.tracesToMetrics]) {
      if (link) assert.equal(datasourceType.get(link.datasourceUid), 'prometheus');
    }
  });

  it('loads the dashboards from where the README says to mount them', () => {
    // The README's mount table: repository path (under infra/observability) → path in the container.
    const mounts = [...read('README.md').matchAll(/^\| `([^`]+)` \| `(\/[^`]+)` \|$/gm)].map(([, repo, container]) => ({ repo: repo!, container: container! }));
    const toRepo = (path: string) => {
      const mount = mounts.find((m) => path === m.container || path.startsWith(`${m.container}/`));
      assert.ok(mount, `${path} is under no mount in the README`);
      return join(obs, mount.repo, path.slice(mount.container.length));
    };
    // Grafana reads its provisioning from /etc/grafana/provisioning/{datasources,dashboards}.
    assert.ok(existsSync(join(toRepo('/etc/grafana/provisioning'), 'datasources/tidings.yaml')));
    const { providers } = yaml<{ providers: { type: string; options: { path: string } }[] }>('grafana/provisioning/dashboards/tidings.yaml');
    assert.equal(providers.length, 1);
    assert.equal(providers[0]!.type, 'file');
    const dir = toRepo(providers[0]!.options.path);
    assert.equal(dir, dashboardDir, `the provider loads ${providers[0]!.options.path}, which is not the dashboards folder`);
  });
});

interface CollectorConfig {
  extensions?: Record<string, unknown>;
  receivers?: { otlp?: { protocols?: { http?: { endpoint?: string }; grpc?: { endpoint?: string } } } };
  processors?: Record<string, unknown>;
  exporters?: Record<string, { endpoint?: string } | null>;
  service?: { extensions?: string[]; pipelines?: { traces?: { receivers?: string[]; processors?: string[]; exporters?: string[] } } };
}

describe('OpenTelemetry Collector config', () => {
  const config = yaml<CollectorConfig>('otel-collector/config.yaml');
  const traces = config.service?.pipelines?.traces;

  it('receives OTLP over HTTP (what the services send) and gRPC', () => {
    assert.match(config.receivers?.otlp?.protocols?.http?.endpoint ?? '', /:4318$/);
    assert.match(config.receivers?.otlp?.protocols?.grpc?.endpoint ?? '', /:4317$/);
    assert.ok(traces?.receivers?.includes('otlp'), 'the traces pipeline does not read the otlp receiver');
  });

  it('runs a traces pipeline through memory_limiter and batch into Tempo', () => {
    assert.equal(traces?.processors?.[0], 'memory_limiter', 'memory_limiter must come first');
    assert.ok(traces?.processors?.includes('batch'));
    for (const p of traces?.processors ?? []) assert.ok(config.processors && p in config.processors, `processor ${p} is not configured`);
    const toTempo = (traces?.exporters ?? []).filter((e) => /^otlp(_grpc)?(\/|$)/.test(e) && config.exporters?.[e]?.endpoint === 'tempo:4317');
    assert.equal(toTempo.length, 1, 'no OTLP exporter to tempo:4317 in the traces pipeline');
    assert.ok(config.service?.extensions?.includes('health_check') && config.extensions && 'health_check' in config.extensions);
  });
});

// The file layout the README describes, so a rename breaks here rather than in a deployment.
describe('infra/observability layout', () => {
  it('has every file the README lists', () => {
    const listed = [...read('README.md').matchAll(/^\| `([\w./-]+\.(?:json|yaml|yml))` \|/gm)].map(([, path]) => path!);
    assert.ok(listed.length >= 7, `the README lists ${listed.length} files`);
    for (const path of listed) assert.ok(existsSync(join(obs, path)), `${path} is in the README but not in ${dirname(join(obs, path))}`);
  });
});
