import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml, parseAllDocuments, stringify } from 'yaml';
import { parseRetrySchedule, resolveTopicNames, topicSpecs } from '@tidings/contracts';
import { repoRoot } from '@tidings/testing';

/**
 * helm/tidings as `helm template` renders it, checked against the code it deploys: topic names
 * and configs from libs/contracts, the alert rules of infra/observability, the values schema
 * and the chart's own guards. The Kubernetes test tier runs it with TIDINGS_HELM set to its
 * helm binary; without one it fails, it never skips.
 */
const chart = join(repoRoot(), 'helm/tidings');
const helm = process.env.TIDINGS_HELM ?? '';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown> & { template?: { metadata: { annotations?: Record<string, string> }; spec: PodSpec }; replicas?: number };
  data?: Record<string, string>;
}
interface Container {
  name: string;
  args: string[];
  env?: { name: string; value?: string }[];
  envFrom: ({ configMapRef?: { name: string } } & { secretRef?: { name: string } })[];
  startupProbe: { httpGet: { path: string } };
  livenessProbe: { httpGet: { path: string } };
  readinessProbe: { httpGet: { path: string } };
  securityContext: Record<string, unknown>;
  volumeMounts: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  volumes?: { name: string; emptyDir?: object }[];
  topologySpreadConstraints?: { topologyKey: string; whenUnsatisfiable: string }[];
}

const SECRET = ['--set', 'secret.existingSecret=tidings-secrets'];
const dir = mkdtempSync(join(tmpdir(), 'chart-render-'));
let valuesFiles = 0;

function helmTemplate(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(helm, ['template', 'rel', chart, ...args], { encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A values file (--set would split a retry schedule at its commas). */
function valuesFile(values: object): string {
  const file = join(dir, `values-${(valuesFiles += 1)}.yaml`);
  writeFileSync(file, stringify(values));
  return file;
}

/** Renders with `values` (as a values file) and `args`; fails the test on a helm error. */
function render(values: object = {}, args: string[] = SECRET): K8sObject[] {
  const { status, stdout, stderr } = helmTemplate(['-f', valuesFile(values), ...args]);
  assert.equal(status, 0, `helm template failed: ${stderr}`);
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

/** Renders expecting a refusal; returns helm's message. */
function refusal(args: string[]): string {
  const { status, stderr } = helmTemplate(args);
  assert.notEqual(status, 0, `helm template accepted ${args.join(' ')}`);
  return stderr;
}

const named = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind).map((o) => o.metadata.name).sort();
const one = (objects: K8sObject[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found, `no ${kind} ${name}`);
  return found;
};
const containerOf = (deployment: K8sObject) => deployment.spec!.template!.spec.containers[0]!;
const COMPONENTS = ['egress', 'publisher', 'relay', 'subscriptions', 'trigger'];
const perComponent = (suffix = '') => COMPONENTS.map((c) => `rel-tidings-${c}${suffix}`);

/** What the services provision for this configuration (libs/contracts), as Strimzi spells it. */
function expectedTopics(schedule: string, prefix: string, domainEventsTopic = 'tailnet.events') {
  const parsed = parseRetrySchedule(schedule);
  assert.ok(parsed.ok, `the TypeScript refuses ${schedule}`);
  const names = resolveTopicNames({ domainEventsTopic, prefix, retryDelaysMs: parsed.schedule.delaysMs });
  return topicSpecs(names, parsed.schedule).map((t) => ({ topicName: t.name, partitions: t.partitions, config: t.config }));
}
const strimziTopics = (objects: K8sObject[]) =>
  objects.filter((o) => o.kind === 'KafkaTopic').map((o) => ({ topicName: o.spec!.topicName as string, partitions: o.spec!.partitions as number, config: o.spec!.config as Record<string, string> }));
const retryTopicNames = (schedule: string) =>
  strimziTopics(render({ config: { RETRY_SCHEDULE: schedule }, kafkaTopics: { strimzi: { enabled: true } } }))
    .map((t) => t.topicName)
    .filter((name) => name.includes('webhook-retry'));

describe('helm chart (helm template)', () => {
  before(() => {
    assert.ok(helm, 'TIDINGS_HELM is not set: point it at a helm 3 binary (the Kubernetes test tier sets it)');
    accessSync(helm, constants.X_OK);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('renders by default: five Deployments and Services, the ConfigMap, NetworkPolicies, PDBs and the test hooks', () => {
    const objects = render();
    assert.deepEqual(named(objects, 'Deployment'), perComponent());
    assert.deepEqual(named(objects, 'Service'), perComponent());
    assert.deepEqual(named(objects, 'ConfigMap'), ['rel-tidings-config']);
    assert.deepEqual(named(objects, 'NetworkPolicy'), ['rel-tidings-egress-proxy-clients', 'rel-tidings-internal-only']);
    assert.deepEqual(named(objects, 'PodDisruptionBudget'), perComponent());
    assert.deepEqual(named(objects, 'Pod'), ['rel-tidings-test-api', 'rel-tidings-test-egress']);
    assert.deepEqual([...new Set(objects.map((o) => o.kind))].sort(), ['ConfigMap', 'Deployment', 'NetworkPolicy', 'Pod', 'PodDisruptionBudget', 'Service']);
  });

  it('gives every pod the probes, the hardening, a /tmp and the Secret only where it is needed', () => {
    for (const deployment of render().filter((o) => o.kind === 'Deployment')) {
      const name = deployment.metadata.name.replace('rel-tidings-', '');
      const c = containerOf(deployment);
      assert.deepEqual(c.args, [`dist/services/${name}/src/main.js`]);
      assert.equal(c.startupProbe.httpGet.path, '/health');
      assert.equal(c.livenessProbe.httpGet.path, '/health');
      assert.equal(c.readinessProbe.httpGet.path, '/ready');
      assert.equal(c.securityContext.readOnlyRootFilesystem, true);
      assert.ok(c.volumeMounts.some((m) => m.mountPath === '/tmp'));
      assert.ok(deployment.spec!.template!.spec.volumes!.some((v) => v.name === 'tmp' && v.emptyDir));
      const secrets = c.envFrom.flatMap((e) => (e.secretRef ? [e.secretRef.name] : []));
      assert.deepEqual(secrets, ['subscriptions', 'publisher', 'relay'].includes(name) ? ['tidings-secrets'] : [], name);
      const [spread] = deployment.spec!.template!.spec.topologySpreadConstraints!;
      assert.deepEqual([spread!.topologyKey, spread!.whenUnsatisfiable], ['kubernetes.io/hostname', 'ScheduleAnyway']);
      // V8's heap bounds (README, Configuration): without them a pod's RSS follows the node's memory.
      assert.equal(c.env?.find((e) => e.name === 'NODE_OPTIONS')?.value, '--max-old-space-size=160 --max-semi-space-size=8', name);
    }
  });

  it('takes each component’s NODE_OPTIONS from its values, and none when emptied', () => {
    const objects = render({ services: { publisher: { nodeOptions: '--max-old-space-size=300' }, egress: { nodeOptions: '' } } });
    const nodeOptions = (component: string) => containerOf(objects.find((o) => o.kind === 'Deployment' && o.metadata.name === `rel-tidings-${component}`)!).env?.find((e) => e.name === 'NODE_OPTIONS')?.value;
    assert.equal(nodeOptions('publisher'), '--max-old-space-size=300');
    assert.equal(nodeOptions('egress'), undefined);
    assert.equal(nodeOptions('trigger'), '--max-old-space-size=160 --max-semi-space-size=8');
  });

  it('with every switch on renders topics, PDBs, HPA, ServiceMonitor, PrometheusRule, Ingress, Secret and the CA bundle', () => {
    const objects = render(
      {
        secret: { create: true, databaseUrl: 'postgres://tidings:pw@pg:5432/tidings', secretsEncryptionKeys: 'k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
        config: { RETRY_SCHEDULE: '10s,1m,10m,1h*23~10%', KAFKA_TOPIC_PREFIX: 'stg.' },
        egress: { extraCaBundle: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' },
        services: { publisher: { autoscaling: { enabled: true } }, trigger: { replicas: 1, podDisruptionBudget: { evenWithOneReplica: true } } },
        kafkaTopics: { strimzi: { enabled: true, clusterLabel: 'kafka-main' } },
        metrics: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } },
        ingress: { enabled: true, className: 'nginx', host: 'hooks.example.com' },
        relayIngress: { enabled: true, className: 'nginx', host: 'in.example.com' },
      },
      [],
    );
    assert.deepEqual(strimziTopics(objects), expectedTopics('10s,1m,10m,1h*23~10%', 'stg.'));
    assert.ok(objects.filter((o) => o.kind === 'KafkaTopic').every((t) => t.metadata.labels!['strimzi.io/cluster'] === 'kafka-main'));
    assert.deepEqual(named(objects, 'PodDisruptionBudget'), perComponent(), 'trigger has one replica, and its PDB was asked for');
    assert.deepEqual(named(objects, 'HorizontalPodAutoscaler'), ['rel-tidings-publisher']);
    assert.equal(one(objects, 'Deployment', 'rel-tidings-publisher').spec!.replicas, undefined, 'the HPA owns the replica count');
    assert.equal(one(objects, 'Deployment', 'rel-tidings-trigger').spec!.replicas, 1);
    assert.deepEqual(named(objects, 'ServiceMonitor'), ['rel-tidings']);
    assert.deepEqual(named(objects, 'Ingress'), ['rel-tidings-api', 'rel-tidings-relay']);
    const relayIngress = one(objects, 'Ingress', 'rel-tidings-relay').spec as { rules: { host: string; http: { paths: { path: string; backend: { service: { name: string } } }[] } }[] };
    assert.deepEqual(
      relayIngress.rules.map((r) => [r.host, r.http.paths.map((p) => [p.path, p.backend.service.name])]),
      [['in.example.com', [['/in', 'rel-tidings-relay']]]],
      'only the inputs are public',
    );
    assert.deepEqual(named(objects, 'Secret'), ['rel-tidings-secrets']);
    const rule = one(objects, 'PrometheusRule', 'rel-tidings');
    const alerts = parseYaml(readFileSync(join(repoRoot(), 'infra/observability/prometheus/alerts.yaml'), 'utf8')) as { groups: unknown };
    assert.deepEqual(rule.spec!.groups, alerts.groups, 'the PrometheusRule carries infra/observability/prometheus/alerts.yaml');
    const egress = one(objects, 'Deployment', 'rel-tidings-egress');
    assert.deepEqual(containerOf(egress).env, [
      { name: 'NODE_OPTIONS', value: '--max-old-space-size=160 --max-semi-space-size=8' },
      { name: 'EGRESS_EXTRA_CA_FILE', value: '/etc/tidings/egress-ca/ca-bundle.pem' },
    ]);
    assert.ok(one(objects, 'ConfigMap', 'rel-tidings-egress-ca').data!['ca-bundle.pem']!.includes('BEGIN CERTIFICATE'));
    for (const name of perComponent().filter((n) => /subscriptions|publisher/.test(n))) {
      assert.ok(one(objects, 'Deployment', name).spec!.template!.metadata.annotations!['checksum/secret'], `${name} rolls when the Secret changes`);
    }
    const hooks = objects.filter((o) => o.kind === 'Pod');
    assert.deepEqual(hooks.map((h) => [h.metadata.name, h.metadata.annotations!['helm.sh/hook'], (h.spec!.containers as Container[])[0]!.args[0]]).sort(), [
      ['rel-tidings-test-api', 'test', 'dist/infra/helm-test/api-answers.js'],
      ['rel-tidings-test-egress', 'test', 'dist/infra/helm-test/egress-refuses.js'],
    ]);
  });

  it('names the retry topics as libs/contracts derives them, for every schedule', () => {
    for (const schedule of ['1h*24', '10s,1m,10m,1h*23~10%', '60s, 1m,90m, 1d,24h*2', '1500ms,2s*3~5%', '30m*2,1h*3,30m', '1h*024']) {
      const expected = expectedTopics(schedule, '').map((t) => t.topicName).filter((name) => name.includes('webhook-retry'));
      assert.deepEqual(retryTopicNames(schedule), expected, schedule);
    }
  });

  it('refuses a schedule the services would refuse, naming it', () => {
    for (const schedule of ['1x', '1h*0', '0s', '1h~100%', '1h,', '1h*1001']) {
      assert.equal(parseRetrySchedule(schedule).ok, false, `the TypeScript accepts ${schedule}`);
      assert.match(refusal([...SECRET, '-f', valuesFile({ config: { RETRY_SCHEDULE: schedule } })]), /config\.RETRY_SCHEDULE/, schedule);
    }
  });

  it('refuses a misspelled key and a wrong type, naming where', () => {
    assert.match(refusal([...SECRET, '--set', 'services.publisher.replica=3']), /services\/publisher.*'replica' not allowed/);
    assert.match(refusal([...SECRET, '--set', 'existingSecret=old-style']), /'existingSecret' not allowed/);
    assert.match(refusal([...SECRET, '--set', 'config.KAFKA_BROKER=kafka:9092']), /config.*'KAFKA_BROKER' not allowed/);
    assert.match(refusal([...SECRET, '--set', 'services.publisher.replicas=three']), /services\/publisher\/replicas.*want integer/);
  });

  it('refuses to install without the secret configuration, saying what to set', () => {
    assert.match(refusal([]), /set secret\.existingSecret to a Secret holding both keys, or secret\.create=true/);
    assert.match(refusal(['--set', 'secret.create=true']), /secret\.create=true needs both secret\.databaseUrl and secret\.secretsEncryptionKeys/);
    assert.match(refusal(['--set', 'secret.create=true', '--set', 'secret.existingSecret=x']), /not both/);
  });

  it('rolls the pods when a config value changes, and only then', () => {
    const checksums = (objects: K8sObject[]) => objects.filter((o) => o.kind === 'Deployment').map((d) => d.spec!.template!.metadata.annotations!['checksum/config']);
    const base = checksums(render());
    assert.equal(new Set(base).size, 1);
    assert.deepEqual(checksums(render({ services: { trigger: { replicas: 3 } } })), base);
    const changed = checksums(render({ config: { LOG_LEVEL: 'debug' } }));
    assert.notDeepEqual(changed, base);
    assert.equal(new Set(changed).size, 1);
  });

  it('lets only the publisher, the relay and the egress test pod reach the proxy port', () => {
    const policy = one(render(), 'NetworkPolicy', 'rel-tidings-egress-proxy-clients');
    const [proxy, admin] = policy.spec!.ingress as { from: { podSelector?: { matchExpressions: { key: string; values: string[] }[] }; namespaceSelector?: object }[]; ports: { port: string }[] }[];
    assert.deepEqual(proxy!.ports.map((p) => p.port), ['proxy']);
    const components = proxy!.from[0]!.podSelector!.matchExpressions.find((e) => e.key === 'app.kubernetes.io/component')!.values;
    assert.deepEqual(components, ['publisher', 'relay', 'test-egress']);
    assert.deepEqual(admin!.ports.map((p) => p.port), ['http']);
    assert.deepEqual(admin!.from, [{ namespaceSelector: {} }]);
  });

  it('confines every pod it renders to the cluster, except the egress', () => {
    const objects = render();
    const selector = one(objects, 'NetworkPolicy', 'rel-tidings-internal-only').spec!.podSelector as { matchExpressions: { key: string; operator: string; values: string[] }[] };
    const selected = (labels: Record<string, string>) => selector.matchExpressions.every((e) => e.operator === 'In' && e.values.includes(labels[e.key] ?? ''));
    const pods = objects.flatMap((o) => {
      if (o.kind === 'Deployment') return [(o.spec!.template as unknown as { metadata: { labels: Record<string, string> } }).metadata.labels];
      if (o.kind === 'Pod') return [o.metadata.labels ?? {}];
      return [];
    });
    const free = pods.filter((labels) => !selected(labels)).map((labels) => labels['app.kubernetes.io/component']);
    assert.equal(pods.length, 7, 'five Deployments and two test pods');
    assert.deepEqual(free, ['egress']);
  });
});
