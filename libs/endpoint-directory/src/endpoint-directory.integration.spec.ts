import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { ResolvedConsumer } from '@tidings/contracts';
import { provisionTopicsWith } from '@tidings/kafka';
import { createLogger } from '@tidings/telemetry';
import { testInfra, uniqueName } from '@tidings/test-env';
import { EndpointDirectory } from './endpoint-directory';

const logger = createLogger({ serviceName: 'directory-test', logLevel: 'fatal' });

/** An endpointCreated config event, as the subscriptions service writes it. */
function created(endpointId: string): string {
  const secret = { keyId: 'k', iv: 'aQ==', ciphertext: 'aQ==', tag: 'aQ==' };
  return JSON.stringify({
    schemaVersion: 1,
    eventId: randomUUID(),
    endpointId,
    tailnet: 'example.com',
    version: 1,
    occurredAt: new Date().toISOString(),
    actor: 'test',
    type: 'endpointCreated',
    endpointUrl: 'https://hooks.example.com/x',
    providerType: '',
    subscriptions: ['categoryTailnetManagement'],
    secret,
  });
}

describe('EndpointDirectory.getAsOf (real Kafka)', () => {
  const { brokers } = testInfra();
  const topic = uniqueName('endpoint-config');
  const kafka = new Kafka({ clientId: 'directory-test', brokers, logLevel: logLevel.NOTHING });
  const directory = new EndpointDirectory(logger);
  let producer: Producer;
  let syncs = 0;

  before(async () => {
    await provisionTopicsWith(kafka, [{ name: topic, partitions: 3, config: {} }]);
    producer = kafka.producer({ idempotent: true });
    await producer.connect();
    // A long fetch wait: the tail follower alone would see a new endpoint only much later.
    const declared: ResolvedConsumer = { name: 'publisherEndpointView', mode: 'replay', groupId: uniqueName('directory'), topics: [topic], fetchWaitMs: 5_000 };
    await directory.start(kafka, declared);
    const sync = directory.sync.bind(directory);
    directory.sync = () => {
      syncs += 1;
      return sync();
    };
  });

  after(async () => {
    await directory.stop();
    await producer?.disconnect();
  });

  it('reads the view up to date for an endpoint it does not know yet, named by a record written just now', async () => {
    const endpointId = randomUUID();
    await producer.send({ topic, messages: [{ key: endpointId, value: created(endpointId) }] });
    const [before, knownBefore] = [syncs, directory.get(endpointId)];
    const endpoint = await directory.getAsOf(endpointId, Date.now());
    assert.equal(endpoint?.endpointId, endpointId);
    // The follower may have been quicker; if it was not, getAsOf read up to date, once.
    assert.equal(syncs, knownBefore ? before : before + 1);
  });

  it('knows an endpoint is gone without a sync when a sync that began after the record was written did not find it', async () => {
    await directory.sync();
    const before = syncs;
    assert.equal(await directory.getAsOf(randomUUID(), Date.now() - 60_000), undefined);
    assert.equal(syncs, before, 'no sync for a record older than the last one');
    assert.equal(await directory.getAsOf(randomUUID(), Date.now()), undefined);
    assert.equal(syncs, before + 1, 'a record written after the last sync began is worth one');
  });
});
