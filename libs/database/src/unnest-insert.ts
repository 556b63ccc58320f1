/** One column of a bulk insert: its name, its PostgreSQL type, and its value in a row. */
export type UnnestColumn<R> = readonly [name: string, type: string, value: (row: R) => unknown];

/** Whatever runs a parameterised statement: a TypeORM DataSource, EntityManager or QueryRunner. */
export interface Queryable {
  query(sql: string, parameters: unknown[]): Promise<unknown>;
}

/**
 * Inserts `rows` in one statement, however many: one typed array per column through unnest,
 * so the statement has a parameter per column, not per value (Postgres allows 65,535), and no
 * query builder spends time escaping and renaming each value. Rows that meet a conflict on
 * `conflictTarget` (e.g. `(batch_id)`; empty: any unique constraint) are skipped, which makes
 * a redelivered record insert nothing.
 */
export async function insertUnnested<R>(db: Queryable, table: string, columns: readonly UnnestColumn<R>[], rows: readonly R[], conflictTarget = ''): Promise<void> {
  if (rows.length === 0) return;
  const names = columns.map(([name]) => name).join(', ');
  const arrays = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
  await db.query(
    `INSERT INTO ${table} (${names}) SELECT * FROM unnest(${arrays}) ON CONFLICT ${conflictTarget} DO NOTHING`,
    columns.map(([, , value]) => rows.map(value)),
  );
}
