import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { parseRetrySchedule, relayDataKeySchema, resolveTopicNames, type RelayDataKey, type RetrySchedule, type TopicNames } from '@tidings/contracts';
import { provisionTopicsWith } from '@tidings/kafka';
import { KafkaProducerService } from '@tidings/kafka-nest';
import { SecretBox } from '@tidings/secret-box';
import { testInfra, TopicReader, uniqueName, waitFor } from '@tidings/testing';
import { EphemeralSealer } from './ephemeral-sealer';

/**
 * The relay's data keys against the real broker: one announced per use (a minute-scale
 * schedule's: as long as the schedule), shared by the requests sealed meanwhile, announced
 * before anything is sealed under it, and none used when its announcement failed.
 */
describe('EphemeralSealer (real Kafka)', () => {
  const schedule = (parseRetrySchedule('1m*5') as { ok: true; schedule: RetrySchedule }).schedule;
  const USE_MS = 300_000;
  const master = new SecretBox([{ id: 'master-1', key: randomBytes(32) }]);
  let kafka: Kafka;
  let topics: TopicNames;
  let producer: KafkaProducerService;
  let announced: TopicReader;
  let clock = Date.parse('2026-11-30T06:00:00Z');

  const keys = (): RelayDataKey[] => announced.records.map((r) => relayDataKeySchema.parse(JSON.parse(r.value!.toString())));
  const boxOf = (key: RelayDataKey) => new SecretBox([{ id: key.keyId, key: Buffer.from(master.open(key.key, key.keyId), 'base64') }]);

  before(async () => {
    const prefix = `${uniqueName('sealer')}.`;
    topics = resolveTopicNames({ domainEventsTopic: `${prefix}tailnet.events`, prefix, retryDelaysMs: schedule.delaysMs });
    kafka = new Kafka({ clientId: 'sealer-test', brokers: testInfra().brokers, logLevel: logLevel.NOTHING });
    await provisionTopicsWith(kafka, [{ name: topics.relayDataKeys, partitions: 1, config: {} }]);
    producer = new KafkaProducerService(kafka);
    await producer.onModuleInit();
    announced = await TopicReader.open(kafka, topics.relayDataKeys);
  });
  after(async () => {
    await announced?.stop();
    await producer?.onApplicationShutdown();
  });

  it('announces one key for the requests of its use, sealed under the master keyring, before sealing under it', async () => {
    const sealer = new EphemeralSealer({ producer, topics, schedule, master }, () => clock);
    const sealed = await Promise.all(['a', 'b', 'c'].map((body, i) => sealer.seal(body, `request-${i}`)));
    assert.equal(new Set(sealed.map((s) => s.keyId)).size, 1, 'three requests at once share one key');
    // Already in Kafka when seal() resolved: the publisher can always find it.
    await announced.sync();
    const [key] = keys().filter((k) => k.keyId === sealed[0]!.keyId);
    assert.ok(key, 'announced');
    assert.equal(key.createdAt, new Date(clock).toISOString());
    assert.deepEqual(sealed.map((s, i) => boxOf(key).open(s, `request-${i}`)), ['a', 'b', 'c']);

    clock += USE_MS - 1;
    assert.equal((await sealer.seal('d', 'request-3')).keyId, key.keyId, 'still in use');
    clock += 1;
    const next = await sealer.seal('e', 'request-4');
    assert.notEqual(next.keyId, key.keyId, 'a new key once the use is over');
    await announced.sync();
    assert.deepEqual(keys().filter((k) => k.keyId === next.keyId).map((k) => k.createdAt), [new Date(clock).toISOString()]);
  });

  it('refuses to seal when the key cannot be announced, and announces a new one when Kafka is back', async () => {
    const sealer = new EphemeralSealer({ producer, topics, schedule, master }, () => clock);
    const before = keys().length;
    await producer.onApplicationShutdown();
    await assert.rejects(sealer.seal('lost', 'request-x'));
    await producer.onModuleInit();
    const sealed = await sealer.seal('kept', 'request-y');
    await announced.sync();
    await waitFor('the new key read back', () => keys().some((k) => k.keyId === sealed.keyId), 10_000, 20);
    assert.equal(keys().length, before + 1, 'only the key that was announced exists');
    assert.equal(boxOf(keys().find((k) => k.keyId === sealed.keyId)!).open(sealed, 'request-y'), 'kept');
  });
});
