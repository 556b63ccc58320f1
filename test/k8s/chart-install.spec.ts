import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestCa, waitFor } from '@tidings/testing';
import { baseValues, chartDir, Cluster } from './cluster-access';
import { waitForDeployments } from './rollout';

/**
 * The chart against a real API server: what it renders is accepted (server-side dry run) with
 * the default values and with every switch on (the Strimzi and Prometheus Operator CRDs
 * installed), a real install with every switch on creates each object and becomes Ready, its
 * uninstall removes them all, and bad values are refused before anything is created.
 */

const NAMESPACE = 'tidings-all-on';
const RELEASE = 'all-on';
const COMPONENTS = ['subscriptions', 'trigger', 'publisher', 'relay', 'egress'];
/** kubectl's `-o name`: `secret/x` for the core group, `kafkatopic.kafka.strimzi.io/x` for others. */
const ofKind = (name: string, kind: string) => name.startsWith(`${kind}/`) || name.startsWith(`${kind}.`);

describe('the chart on a real API server', { concurrency: false }, () => {
  const cluster = new Cluster();
  const { env } = cluster;
  const dir = mkdtempSync(join(tmpdir(), 'tidings-chart-'));
  const ca = createTestCa(join(dir, 'ca'), [env.nodeIp]);
  const valuesFile = (name: string, values: unknown) => {
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(values));
    return file;
  };
  const base = baseValues(env, ca.caPem);
  // Every switch on; its own topic prefix keeps it out of the other release's groups and topics.
  const allOn = valuesFile('all-on', {
    ...base,
    config: { ...(base.config as object), KAFKA_TOPIC_PREFIX: 'allon.' },
    services: Object.fromEntries(COMPONENTS.map((c) => [c, { autoscaling: { enabled: true, minReplicas: 1, maxReplicas: 3 }, podDisruptionBudget: { enabled: true, evenWithOneReplica: true } }])),
    networkPolicy: { enabled: true, internalCidrs: [`${env.nodeIp}/32`] },
    kafkaTopics: { strimzi: { enabled: true, clusterLabel: 'tidings-kafka' } },
    metrics: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } },
    ingress: { enabled: true, className: 'nginx', host: 'tidings.k8s.example.com', tls: [{ secretName: 'tidings-tls', hosts: ['tidings.k8s.example.com'] }] },
  });
  const defaults = valuesFile('defaults', { secret: { existingSecret: 'tidings-secrets' } });

  const render = async (values: string) => (await cluster.helm(['template', RELEASE, chartDir(), '-n', NAMESPACE, '-f', values])).stdout;
  const dryRun = async (manifest: string) => (await cluster.kubectl(['apply', '--dry-run=server', '-n', NAMESPACE, '-f', '-'], { input: manifest })).stdout;

  before(async () => {
    await cluster.kubectl(['apply', '--server-side', '-f', env.crdDir]);
    await cluster.kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', env.crdDir]);
    await cluster.kubectl(['create', 'namespace', NAMESPACE]);
  });

  after(async () => {
    await cluster.kubectl(['delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait=true', '--timeout=120s']).catch(() => undefined);
  });

  it('renders what the API server accepts with the default values (and the secret they require)', async () => {
    const out = await dryRun(await render(defaults));
    for (const c of COMPONENTS) assert.match(out, new RegExp(`deployment.apps/${RELEASE}-tidings-${c} created \\(server dry run\\)`));
    assert.match(out, /networkpolicy\.networking\.k8s\.io\/\S+ created \(server dry run\)/);
  });

  it('renders what the API server accepts with every switch on', async () => {
    const out = await dryRun(await render(allOn));
    for (const kind of ['kafkatopic.kafka.strimzi.io', 'servicemonitor.monitoring.coreos.com', 'prometheusrule.monitoring.coreos.com', 'ingress.networking.k8s.io', 'horizontalpodautoscaler.autoscaling', 'poddisruptionbudget.policy', 'secret']) {
      assert.match(out, new RegExp(`${kind.replace(/\./g, '\\.')}/\\S+ created \\(server dry run\\)`), `no ${kind} in\n${out}`);
    }
  });

  it('refuses bad values before creating anything', async () => {
    const typo = cluster.helm(['install', 'typo', chartDir(), '-n', NAMESPACE, '-f', allOn, '--set', 'services.publisher.replica=3']);
    await assert.rejects(typo, /replica/);
    const wrongType = cluster.helm(['install', 'wrong-type', chartDir(), '-n', NAMESPACE, '-f', allOn, '--set-string', 'services.publisher.replicas=two']);
    await assert.rejects(wrongType, /replicas/);
    const noSecret = cluster.helm(['install', 'no-secret', chartDir(), '-n', NAMESPACE, '--set', 'secret.create=false']);
    await assert.rejects(noSecret, /secret/i);
    assert.deepEqual((await cluster.helm(['list', '-n', NAMESPACE, '-a', '-q'])).stdout.trim(), '', 'a refused install left a release');
  });

  it('installs for real with every switch on, becomes Ready, and uninstalls without a trace', async () => {
    const started = Date.now();
    await cluster.helm(['install', RELEASE, chartDir(), '-n', NAMESPACE, '-f', allOn]);
    const readyAt = await waitForDeployments(cluster, NAMESPACE, RELEASE, started, 300_000);
    console.log(`every switch on, time to Ready (ms): ${JSON.stringify(readyAt)}`);
    const kinds = 'kafkatopics,servicemonitors,prometheusrules,ingresses,horizontalpodautoscalers,poddisruptionbudgets,networkpolicies,secrets,configmaps,deployments,services';
    const created = await cluster.releaseObjects(NAMESPACE, RELEASE, kinds);
    for (const kind of ['kafkatopic', 'servicemonitor', 'prometheusrule', 'ingress', 'horizontalpodautoscaler', 'poddisruptionbudget', 'networkpolicy', 'secret', 'configmap']) {
      assert.ok(created.some((name) => ofKind(name, kind)), `no ${kind} among ${created.join(', ')}`);
    }
    assert.equal(created.filter((n) => ofKind(n, 'horizontalpodautoscaler')).length, COMPONENTS.length);

    const topics = created.filter((n) => ofKind(n, 'kafkatopic'));

    await cluster.helm(['uninstall', RELEASE, '-n', NAMESPACE, '--wait', '--timeout', '3m']);
    // KafkaTopics hold the delivery state, so the chart keeps them (helm.sh/resource-policy: keep).
    const rest = kinds.replace('kafkatopics,', '') + ',pods';
    const left = await waitFor('the release objects to go', async () => ((await cluster.releaseObjects(NAMESPACE, RELEASE, rest)).length === 0 ? true : false), 120_000, 1_000).catch(
      async () => cluster.releaseObjects(NAMESPACE, RELEASE, rest),
    );
    assert.equal(left, true, `left behind: ${String(left)}`);
    assert.deepEqual(await cluster.releaseObjects(NAMESPACE, RELEASE, 'kafkatopics'), topics);
  });
});
