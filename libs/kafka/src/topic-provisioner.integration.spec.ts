import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { resolveTopicNames, topicSpecs } from '@tidings/contracts';
import { testInfra, uniqueName, waitFor } from '@tidings/test-env';
import { provisionTopics } from './topic-provisioner';

describe('provisionTopics against the real broker', () => {
  let admin: Admin;
  const names = resolveTopicNames({ domainEventsTopic: `${uniqueName('prov')}.tailnet.events`, prefix: `${uniqueName('prov')}.`, retryDelaysMs: [10_000, 3_600_000] });
  const specs = topicSpecs(names, { delaysMs: [10_000, 3_600_000], jitter: 0 });

  before(async () => {
    admin = new Kafka({ clientId: 'test', brokers: testInfra().brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });

  after(async () => {
    await admin.deleteTopics({ topics: specs.map((s) => s.name) }).catch(() => undefined);
    await admin.disconnect();
  });

  async function configOf(topic: string, name: string): Promise<string | undefined> {
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: [name] }] });
    return resources[0]?.configEntries.find((c) => c.configName === name)?.configValue;
  }

  it('creates every topic with its partitions and retention, keeping the config log forever', async () => {
    assert.ok(!(await admin.listTopics()).includes(names.webhookEvents));
    const report = await provisionTopics(admin, specs);
    assert.deepEqual(report.created.sort(), specs.map((s) => s.name).sort());
    await waitFor('six payload partitions', async () => (await admin.fetchTopicMetadata({ topics: [names.webhookEvents] })).topics[0]?.partitions.length === 6, 10_000);
    await waitFor('the config log kept forever', async () => (await configOf(names.endpointConfig, 'retention.ms')) === '-1', 10_000);
    const listed = new Set(await admin.listTopics());
    assert.ok(specs.every((s) => listed.has(s.name)), 'every spec is a topic now');
  });

  it('is idempotent, and corrects drifted configs and too few partitions', async () => {
    assert.deepEqual((await provisionTopics(admin, specs)).unchanged.sort(), specs.map((s) => s.name).sort());
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: names.endpointConfig, configEntries: [{ name: 'retention.ms', value: '1000' }] }] });
    // The broker applies config changes through its metadata log: wait until it reports the drift.
    await waitFor('the drifted retention to show', async () => (await configOf(names.endpointConfig, 'retention.ms')) === '1000');
    const grown = specs.map((s) => (s.name === names.domainEventsDlq ? { ...s, partitions: 2 } : s));
    const report = await provisionTopics(admin, grown);
    assert.deepEqual(report.updated.sort(), [names.domainEventsDlq, names.endpointConfig].sort());
    // Applied through the broker's metadata log: visible a moment later.
    await waitFor('retention back to forever', async () => (await configOf(names.endpointConfig, 'retention.ms')) === '-1', 10_000);
    await waitFor('two DLQ partitions', async () => (await admin.fetchTopicMetadata({ topics: [names.domainEventsDlq] })).topics[0]?.partitions.length === 2, 10_000);
  });
});
