import 'reflect-metadata';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Consumer, Kafka } from 'kafkajs';
import { loadKafkaConfig, type KafkaConfig } from '@tidings/config';
import { resolveConsumer } from '@tidings/contracts';
import { ManagedConsumer } from '@tidings/kafka';
import { MetricsModule, ReadinessModule } from '@tidings/service-runtime';
import { createLogger } from '@tidings/telemetry';
import { testInfra, uniqueName, waitFor } from '@tidings/testing';
import { KafkaModule } from './kafka.module';
import { KafkaProducerService } from './kafka-producer.service';
import { KAFKA_CLIENT } from './tokens';

interface Answer {
  status: number;
  type: string;
  body: { status?: string; detail?: string; notReady?: { name: string; reason: string }[] };
}

/**
 * A service's /ready against the test run's real broker: the Nest app every service runs
 * (readiness, metrics, the Kafka module) with consumers made from its client. Each consumer
 * is a check from its first connect: ready once in its group, not after a crash or a stop.
 */
describe('consumer readiness (real Kafka)', () => {
  const logger = createLogger({ serviceName: 'readiness-test', logLevel: 'fatal' });
  let config: KafkaConfig;
  let app: INestApplication;
  let kafka: Kafka;
  let url: string;
  const opened: { stop(): Promise<void> }[] = [];

  const ready = async (): Promise<Answer> => {
    const res = await fetch(url);
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as Answer['body'] };
  };
  const reasonOf = (answer: Answer, groupId: string) => answer.body.notReady?.find((c) => c.name === `kafka consumer ${groupId}`)?.reason;

  before(async () => {
    config = loadKafkaConfig({ KAFKA_BROKERS: testInfra().brokers.join(','), KAFKA_TOPIC_PREFIX: `${uniqueName('ready')}.` }, 'readiness-test');
    @Module({ imports: [MetricsModule.forService('readiness_test'), ReadinessModule.forService(), KafkaModule.forRoot({ config, logger })] })
    class TestServiceModule {}
    app = await NestFactory.create(TestServiceModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/ready`;
    kafka = app.get<Kafka>(KAFKA_CLIENT);
  });

  after(async () => {
    for (const consumer of opened) await consumer.stop().catch(() => undefined);
    await app?.close();
  });

  it('is not ready between connect and join, and ready once the consumer joined its group', async () => {
    assert.deepEqual(await ready(), { status: 200, type: 'application/json; charset=utf-8', body: { status: 'ready' } });

    const groupId = `${config.prefix}plain`;
    const consumer: Consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
    opened.push({ stop: () => consumer.disconnect() });
    await consumer.connect();
    const connected = await ready();
    assert.equal(connected.status, 503);
    assert.equal(connected.type, 'application/problem+json; charset=utf-8');
    assert.equal(reasonOf(connected, groupId), 'connected, not yet joined its group');
    assert.match(connected.body.detail!, new RegExp(`kafka consumer ${groupId} \\(connected, not yet joined its group\\)`));

    await consumer.subscribe({ topic: config.topics.deliveryAttempts, fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    await waitFor('the service to turn ready after the join', async () => (await ready()).status === 200, 30_000, 100);

    await consumer.stop();
    const stopped = await ready();
    assert.equal(stopped.status, 503);
    assert.equal(reasonOf(stopped, groupId), 'stopped');
  });

  it('turns not ready when a consumer crashes without restarting, naming it and the error', async () => {
    const groupId = `${config.prefix}poisoned`;
    const poisoned = new ManagedConsumer(kafka, {
      declared: { ...resolveConsumer('subscriptionsCommands', config), groupId },
      logger,
      // One failure is a crash, and it is not restarted: the state a stuck consumer ends in.
      consumerConfig: { maxWaitTimeInMs: 200, retry: { retries: 0, restartOnFailure: async () => false } },
      handlers: {
        [config.topics.endpointCommands]: async (record) => {
          if (record.value?.toString() === 'poison') throw new Error('poison record');
        },
      },
    });
    opened.push(poisoned);
    await poisoned.start();
    const joined = await ready();
    assert.equal(reasonOf(joined, groupId), undefined, 'joined: not among the checks that fail');

    await app.get(KafkaProducerService).send(config.topics.endpointCommands, [{ key: 'e1', value: 'poison' }]);
    const crashed = await waitFor('the crash to show on /ready', async () => {
      const answer = await ready();
      return reasonOf(answer, groupId) !== undefined && answer;
    });
    assert.equal(crashed.status, 503);
    assert.match(reasonOf(crashed, groupId)!, /^crashed \(.+\); not restarting$/);
  });
});
