import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import type { ResolvedConsumer } from '@tidings/contracts';
import { assertConsumersBuilt, ConsumerDeclarationError, openDeclaredConsumer } from './declared-consumer';

// Making a consumer opens no connection: nothing here reaches a broker.
const kafka = new Kafka({ clientId: 'declared-consumer-spec', brokers: ['127.0.0.1:9'], logLevel: logLevel.NOTHING });
const logger = pino({ level: 'silent' });
const declared: ResolvedConsumer = { name: 'subscriptionsDeliveries', mode: 'batch', groupId: 'p.deliveries', topics: ['attempts', 'dead-letters'], fetchWaitMs: 1_000 };

describe('openDeclaredConsumer', () => {
  it('builds a consumer whose handlers cover exactly the declared topics, in any order', () => {
    const opened = openDeclaredConsumer(kafka, declared, { handledTopics: ['dead-letters', 'attempts'], logger });
    assert.equal(typeof opened.subscribe, 'function');
  });

  it('refuses a declared topic without a handler, naming the consumer and the topic', () => {
    assert.throws(() => openDeclaredConsumer(kafka, declared, { handledTopics: ['attempts'], logger }), (error: Error) => {
      assert.ok(error instanceof ConsumerDeclarationError);
      assert.equal(error.message, 'consumer subscriptionsDeliveries (p.deliveries): declared topics without a handler: dead-letters');
      return true;
    });
  });

  it('refuses a handler for a topic the declaration does not list', () => {
    assert.throws(
      () => openDeclaredConsumer(kafka, declared, { handledTopics: ['attempts', 'dead-letters', 'commands'], logger }),
      /handled topics without a declaration: commands/,
    );
  });
});

describe('assertConsumersBuilt', () => {
  const all: ResolvedConsumer[] = [declared, { ...declared, name: 'subscriptionsCommands', topics: ['commands'] }];

  it('accepts a service that built every declared consumer', () => {
    assert.doesNotThrow(() => assertConsumersBuilt(all, ['subscriptionsCommands', 'subscriptionsDeliveries']));
  });

  it('refuses a declared consumer that was not built', () => {
    assert.throws(() => assertConsumersBuilt(all, ['subscriptionsDeliveries']), /declared consumers not built: subscriptionsCommands/);
  });

  it('refuses a consumer built without a declaration', () => {
    assert.throws(() => assertConsumersBuilt(all, ['subscriptionsDeliveries', 'subscriptionsCommands', 'publisherLanes']), /consumers built without a declaration: publisherLanes/);
  });
});
