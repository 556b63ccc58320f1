import type { DataSource } from 'typeorm';
import type { AdvisoryLockId } from './advisory-locks';

/**
 * Applies pending migrations under a Postgres advisory lock, so replicas booting at once take
 * turns; returns the names applied. Each service passes its own lock from ADVISORY_LOCKS.
 */
export async function runMigrations(dataSource: DataSource, lockId: AdvisoryLockId): Promise<string[]> {
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
