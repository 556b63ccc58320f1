import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * The broker and database that `npm test` started for this run (infra/scripts/test.sh). Tests
 * isolate themselves inside them: a topic prefix and a database of their own.
 */
export function testInfra(): { brokers: string[]; databaseUrl: string } {
  const brokers = process.env.TIDINGS_TEST_KAFKA_BROKERS;
  const databaseUrl = process.env.TIDINGS_TEST_DATABASE_URL;
  if (!brokers || !databaseUrl) {
    throw new Error('TIDINGS_TEST_KAFKA_BROKERS / TIDINGS_TEST_DATABASE_URL are not set: run the tests with `npm test`');
  }
  return { brokers: brokers.split(','), databaseUrl };
}

/** A unique, Kafka- and Postgres-safe name for one test's resources. */
export function uniqueName(label: string): string {
  return `${label.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 20)}${randomBytes(4).toString('hex')}`;
}

/** Creates an empty database for one test; `drop()` removes it (forcing out open sessions). */
export async function createTestDatabase(label: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = testInfra().databaseUrl;
  const name = `t_${uniqueName(label)}`;
  const client = new Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
