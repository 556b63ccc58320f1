import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import pino from 'pino';
import { DataSource, type MigrationInterface } from 'typeorm';
import type { KafkaConfig } from '@tidings/config';
import { ADVISORY_LOCKS, runMigrations } from '@tidings/database';
import type { KafkaProducerService } from '@tidings/kafka-nest';
import { ServiceMetrics } from '@tidings/service-runtime';
import { createTestDatabase } from '@tidings/testing';
import { dataSourceOptions } from '../database/data-source-options';
import { OutboxRelayService } from './outbox-relay.service';

/** Fails instead of waiting: a lock shared by mistake shows as a hang, not as an error. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still waiting after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The publisher and the subscriptions service share one database. A publisher migrating (under
 * its lock, through the same runMigrations) must not hold up the outbox relay, whose lock every
 * API write's immediate publish waits for, nor the other way round. The publisher's tables stay
 * its own, so a stand-in migration plays its part here, one that runs until the test lets it end.
 */
describe('outbox relay and publisher migrations', () => {
  let database: { url: string; drop: () => Promise<void> };
  let subscriptionsDb: DataSource;
  let relay: OutboxRelayService;
  const sent: { topic: string; keys: string[] }[] = [];

  const publisherStandIn = (migration: new () => MigrationInterface) =>
    new DataSource({ type: 'postgres', url: database.url, migrations: [migration], migrationsTableName: 'publisher_schema_migrations', migrationsTransactionMode: 'all' });

  const addToOutbox = (key: string) =>
    subscriptionsDb.query(`INSERT INTO outbox (topic_key, record_key, record_value, record_headers) VALUES ('endpointConfig', $1, '{}', '{}')`, [key]);

  before(async () => {
    database = await createTestDatabase('relaylock');
    subscriptionsDb = await new DataSource(dataSourceOptions({ url: database.url })).initialize();
    await runMigrations(subscriptionsDb, ADVISORY_LOCKS.subscriptionsMigrations);
    const producer = { send: async (topic: string, records: { key: string }[]) => void sent.push({ topic, keys: records.map((r) => r.key) }) };
    const kafka = { topics: { endpointConfig: 'lock-test.endpoint-config' } } as unknown as KafkaConfig;
    relay = new OutboxRelayService(subscriptionsDb, producer as unknown as KafkaProducerService, kafka, pino({ level: 'silent' }), new ServiceMetrics('lock_test'));
  });

  after(async () => {
    await subscriptionsDb?.destroy();
    await database?.drop();
  });

  it('publishes while publisher migrations hold their lock', async () => {
    let started!: () => void;
    const migrating = new Promise<void>((resolve) => (started = resolve));
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    class SlowPublisherMigration1700000000000 implements MigrationInterface {
      async up(): Promise<void> {
        started();
        await finished;
      }
      async down(): Promise<void> {}
    }
    const publisherDb = await publisherStandIn(SlowPublisherMigration1700000000000).initialize();
    const migrations = runMigrations(publisherDb, ADVISORY_LOCKS.publisherMigrations);
    try {
      await within(10_000, 'publisher migration start', migrating);
      await addToOutbox('waited');
      assert.equal(await within(5_000, "the relay's waiting publish", relay.publishBatch('wait')), 1);
      await addToOutbox('skipped');
      assert.equal(await within(5_000, "the relay loop's publish", relay.publishBatch('skip')), 1, 'the relay loop found its lock taken');
      assert.deepEqual(sent, [
        { topic: 'lock-test.endpoint-config', keys: ['waited'] },
        { topic: 'lock-test.endpoint-config', keys: ['skipped'] },
      ]);
    } finally {
      finish();
      await migrations.catch(() => undefined);
      await publisherDb.destroy();
    }
  });

  it('lets publisher migrations run while the relay holds its lock', async () => {
    class QuickPublisherMigration1700000000001 implements MigrationInterface {
      async up(): Promise<void> {}
      async down(): Promise<void> {}
    }
    const publisherDb = await publisherStandIn(QuickPublisherMigration1700000000001).initialize();
    const relaySession = new Client({ connectionString: database.url });
    await relaySession.connect();
    try {
      // The relay's own statement, in a transaction held open as during a slow Kafka send.
      await relaySession.query('BEGIN');
      await relaySession.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCKS.outboxRelay]);
      const applied = await within(5_000, 'publisher migrations', runMigrations(publisherDb, ADVISORY_LOCKS.publisherMigrations));
      assert.deepEqual(applied, ['QuickPublisherMigration1700000000001']);
    } finally {
      await relaySession.query('ROLLBACK').catch(() => undefined);
      await relaySession.end();
      await publisherDb.destroy();
    }
  });
});
