import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { createTestCa, verifyWebhook, waitFor, WebhookReceiver, type ReceivedWebhook } from '@tidings/testing';
import { baseValues, chartDir, Cluster } from './cluster-access';
import { componentPods, diagnostics, waitForDeployments } from './rollout';

/**
 * Tidings as users run it: the image built by this repository, the chart installed with helm on
 * a real one-node cluster, Kafka and PostgreSQL on the node, and a webhook delivered from a
 * domain event to an HTTPS receiver through the egress pod; then an upgrade that rolls every
 * pod while events keep coming, and an uninstall that leaves nothing behind.
 */

const NAMESPACE = 'tidings';
const RELEASE = 'tidings';
const TAILNET = 'k8s.example.com';
const DOMAIN_EVENTS_TOPIC = 'tailnet.events';

describe('Tidings on Kubernetes', { concurrency: false }, () => {
  const cluster = new Cluster();
  const { env } = cluster;
  const dir = mkdtempSync(join(tmpdir(), 'tidings-k8s-'));
  const ca = createTestCa(join(dir, 'ca'), [env.nodeIp]);
  const receiver = new WebhookReceiver(ca);
  const valuesFile = join(dir, 'values.json');
  let producer: Producer;
  let failed = false;
  let endpoint: { endpointId: string; secret: string; standardWebhooksSecret: string; path: string };
  /** The API as this process reaches it (the Service's cluster IP), and a key for the tailnet. */
  let api: { base: string; key: string };

  const deployment = (component: string) => `deploy/${RELEASE}-tidings-${component}`;
  const emit = async (id: string, device: string) => {
    await producer.send({
      topic: DOMAIN_EVENTS_TOPIC,
      messages: [
        {
          key: TAILNET,
          value: JSON.stringify({
            specversion: '1.0',
            id,
            source: '//control.k8s-test',
            type: 'nodeCreated',
            time: new Date().toISOString(),
            tailnet: TAILNET,
            data: { nodeID: `n-${device}`, deviceName: device, managedBy: 'ops@k8s', actor: 'ops@k8s' },
          }),
        },
      ],
    });
  };
  /** Verified payloads at the endpoint's path, flattened: event id → when it first arrived. */
  const deliveredIds = (): Map<string, ReceivedWebhook> => {
    const seen = new Map<string, ReceivedWebhook>();
    for (const w of receiver.received.filter((r) => r.path === endpoint.path)) {
      const verified = verifyWebhook(w, endpoint.secret, endpoint.standardWebhooksSecret);
      assert.ok(verified.tailscaleSignatureValid && verified.standardSignatureValid, `bad signature on ${String(w.headers['webhook-id'])}`);
      for (const event of verified.events as { id: string }[]) if (!seen.has(event.id)) seen.set(event.id, w);
    }
    return seen;
  };

  before(async () => {
    await receiver.start(443, env.nodeIp);
    writeFileSync(valuesFile, JSON.stringify(baseValues(env, ca.caPem)));
    await cluster.kubectl(['create', 'namespace', NAMESPACE]);
    producer = new Kafka({ clientId: 'k8s-test', brokers: env.kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
  });

  after(async () => {
    if (failed) console.error(await diagnostics(cluster, NAMESPACE));
    await producer?.disconnect();
    await receiver.stop();
  });

  const step = (name: string, fn: () => Promise<void>) =>
    it(name, async () => {
      try {
        await fn();
      } catch (error) {
        failed = true;
        throw error;
      }
    });

  step('installs the chart and every Deployment becomes Ready', async () => {
    const started = Date.now();
    await cluster.helm(['install', RELEASE, chartDir(), '-n', NAMESPACE, '-f', valuesFile]);
    const readyAt = await waitForDeployments(cluster, NAMESPACE, RELEASE, started, 300_000);
    console.log(`time to Ready after helm install (ms): ${JSON.stringify(readyAt)}`);
    assert.deepEqual(Object.keys(readyAt).sort(), ['egress', 'publisher', 'relay', 'subscriptions', 'trigger'].map((c) => `${RELEASE}-tidings-${c}`));
  });

  step('passes its helm test hooks (the API answers, the egress refuses a private address)', async () => {
    const { stdout } = await cluster.helm(['test', RELEASE, '-n', NAMESPACE, '--timeout', '3m']);
    assert.match(stdout, /Phase:\s+Succeeded/);
    assert.doesNotMatch(stdout, /Phase:\s+Failed/);
  });

  step('delivers a domain event, signed, to an HTTPS receiver through the egress pod', async () => {
    const cli = ['exec', '-n', NAMESPACE, deployment('subscriptions'), '--', 'node', 'dist/services/subscriptions/src/cli/tidings-cli.js'];
    const key = (await cluster.kubectl([...cli, 'keys', 'create', '--tailnet', TAILNET, '--login', `admin@${TAILNET}`])).stdout.trim();
    assert.match(key, /^tskey-api-/);
    const service = await cluster.json<{ spec: { clusterIP: string } }>(['get', 'service', `${RELEASE}-tidings-subscriptions`, '-n', NAMESPACE]);
    const path = `/hook/${randomUUID()}`;
    const created = await fetch(`http://${service.spec.clusterIP}:8080/api/v2/tailnet/${TAILNET}/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ endpointUrl: `https://${env.nodeIp}${path}`, subscriptions: ['categoryTailnetManagement'] }),
    });
    const body = (await created.json()) as Omit<typeof endpoint, 'path'>;
    assert.equal(created.status, 200, JSON.stringify(body));
    endpoint = { ...body, path };
    api = { base: `http://${service.spec.clusterIP}:8080/api/v2`, key };
    // The trigger learns of the endpoint from the config event the API's outbox publishes.
    await waitFor('the outbox to publish the new endpoint', async () => {
      const metrics = await (await fetch(`http://${service.spec.clusterIP}:8080/metrics`)).text();
      return /^tidings_subscriptions_outbox_pending 0$/m.test(metrics);
    }, 30_000, 200);

    const id = randomUUID();
    const producedAt = Date.now();
    await emit(id, 'first-device');
    const webhook = await waitFor('the webhook at the receiver', () => deliveredIds().get(id), 120_000, 50);
    // A few more, one at a time, now that every hop is warm: the latency a user sees.
    const latencies = [webhook.receivedAt.getTime() - producedAt];
    for (let i = 0; i < 5; i += 1) {
      const next = randomUUID();
      const at = Date.now();
      await emit(next, `device-${i}`);
      latencies.push((await waitFor('the webhook at the receiver', () => deliveredIds().get(next), 60_000, 10)).receivedAt.getTime() - at);
    }
    console.log(`domain event to receiver inside the cluster (ms, first then warm): ${latencies.join(', ')}`);
    const egressIps = (await componentPods(cluster, NAMESPACE, RELEASE, 'egress')).map((p) => p.ip);
    assert.ok(egressIps.includes(webhook.remoteAddress?.replace(/^::ffff:/, '') ?? ''), `sent from ${webhook.remoteAddress}, egress pods are ${egressIps.join(', ')}`);
  });

  step('rolls every pod on a changed value and loses no event produced during the roll', async () => {
    const before = new Map<string, string[]>();
    for (const c of ['subscriptions', 'trigger', 'publisher', 'egress']) before.set(c, (await componentPods(cluster, NAMESPACE, RELEASE, c)).map((p) => p.name));

    const produced: string[] = [];
    let producing = true;
    const feeder = (async () => {
      while (producing) {
        const id = randomUUID();
        await emit(id, `roll-${produced.length}`);
        produced.push(id);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const started = Date.now();
    await cluster.helm(['upgrade', RELEASE, chartDir(), '-n', NAMESPACE, '-f', valuesFile, '--set', 'config.LOG_LEVEL=debug']);
    const readyAt = await waitForDeployments(cluster, NAMESPACE, RELEASE, started, 300_000);
    await new Promise((r) => setTimeout(r, 3_000));
    producing = false;
    await feeder;
    console.log(`rolled out after helm upgrade (ms): ${JSON.stringify(readyAt)}; ${produced.length} events produced during the roll`);

    for (const [component, oldPods] of before) {
      const now = (await componentPods(cluster, NAMESPACE, RELEASE, component)).map((p) => p.name);
      assert.ok(now.length > 0 && now.every((p) => !oldPods.includes(p)), `${component} was not rolled: ${oldPods.join(',')} → ${now.join(',')}`);
    }
    const missing = await waitFor(
      'every event produced during the roll to arrive',
      () => {
        const delivered = deliveredIds();
        const left = produced.filter((id) => !delivered.has(id));
        return left.length === 0 ? [] : false;
      },
      180_000,
      500,
    ).catch(() => produced.filter((id) => !deliveredIds().has(id)));
    // On a failure, what the deliveries API says of the endpoint's batches (a failed attempt holds it).
    const deliveries = missing.length === 0 ? '' : await (await fetch(`${api.base}/webhooks/${endpoint.endpointId}/deliveries?limit=20`, { headers: { authorization: `Bearer ${api.key}` } })).text();
    assert.deepEqual(missing, [], `${missing.length} of ${produced.length} events produced during the roll never arrived; deliveries: ${deliveries}`);
  });

  step('uninstalls and leaves nothing behind', async () => {
    await cluster.helm(['uninstall', RELEASE, '-n', NAMESPACE, '--wait', '--timeout', '3m']);
    const kinds = 'all,configmaps,secrets,serviceaccounts,poddisruptionbudgets,networkpolicies,ingresses,horizontalpodautoscalers,roles,rolebindings';
    const left = await waitFor('the release objects to go', async () => ((await cluster.releaseObjects(NAMESPACE, RELEASE, kinds)).length === 0 ? true : false), 120_000, 1_000).catch(
      async () => cluster.releaseObjects(NAMESPACE, RELEASE, kinds),
    );
    assert.equal(left, true, `left behind: ${String(left)}`);
    const { stdout } = await cluster.kubectl(['get', 'pods,secrets', '-n', NAMESPACE, '-o', 'name']);
    assert.deepEqual(stdout.split('\n').filter((l) => l !== ''), [], 'pods or secrets left in the namespace');
    await cluster.kubectl(['delete', 'namespace', NAMESPACE, '--wait=true', '--timeout=120s']);
  });
});
