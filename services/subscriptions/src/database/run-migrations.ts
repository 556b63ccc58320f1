import type { DataSource } from 'typeorm';

/** Arbitrary but fixed: serialises migrations across replicas booting at once. */
const MIGRATION_LOCK = 7_117_001;

/** Applies pending migrations under a Postgres advisory lock; returns their names. */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await dataSource.runMigrations({ transaction: 'all' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}
