import type { DataSource } from 'typeorm';

/**
 * Applies pending migrations under a Postgres advisory lock, so replicas booting at once take
 * turns; returns the names applied. Each service passes its own fixed lock id.
 */
export async function runMigrations(dataSource: DataSource, lockId: number): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [lockId]);
    const applied = await dataSource.runMigrations({ transaction: 'all' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [lockId]).catch(() => undefined);
    await runner.release();
  }
}
