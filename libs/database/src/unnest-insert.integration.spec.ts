import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { testInfra } from '@tidings/test-env';
import { insertUnnested, type UnnestColumn } from './unnest-insert';

interface Row {
  id: number;
  name: string | null;
  tags: string[];
  at: string;
}

const columns: UnnestColumn<Row>[] = [
  ['id', 'integer', (r) => r.id],
  ['name', 'text', (r) => r.name],
  ['tags', 'jsonb', (r) => JSON.stringify(r.tags)],
  ['at', 'timestamptz', (r) => r.at],
];

describe('insertUnnested (real PostgreSQL)', () => {
  const client = new Client({ connectionString: testInfra().databaseUrl });
  const table = `unnest_insert_${process.pid}`;

  before(async () => {
    await client.connect();
    await client.query(`CREATE TEMPORARY TABLE ${table} (id integer PRIMARY KEY, name text, tags jsonb NOT NULL, at timestamptz NOT NULL)`);
  });

  after(async () => {
    await client.end();
  });

  const rows = async () => (await client.query(`SELECT id, name, tags, at FROM ${table} ORDER BY id`)).rows;

  it('inserts every row in one statement, each value in its column with its type, nulls included', async () => {
    const statements: string[] = [];
    const counting = { query: (sql: string, parameters: unknown[]) => (statements.push(sql), client.query(sql, parameters)) };
    const many = Array.from({ length: 20_000 }, (_, i): Row => ({ id: i, name: i % 2 ? `n${i}` : null, tags: [`t${i}`], at: '2026-11-30T08:00:00Z' }));
    await insertUnnested(counting, table, columns, many);
    assert.equal(statements.length, 1);
    const stored = await rows();
    assert.equal(stored.length, 20_000);
    assert.deepEqual(stored.slice(0, 2), [
      { id: 0, name: null, tags: ['t0'], at: new Date('2026-11-30T08:00:00Z') },
      { id: 1, name: 'n1', tags: ['t1'], at: new Date('2026-11-30T08:00:00Z') },
    ]);
  });

  it('skips rows that conflict, on the named target or any constraint, and sends nothing for no rows', async () => {
    const again: Row = { id: 1, name: 'changed', tags: [], at: '2026-11-30T09:00:00Z' };
    await insertUnnested(client, table, columns, [again, { id: 20_000, name: 'new', tags: [], at: '2026-11-30T09:00:00Z' }], '(id)');
    await insertUnnested(client, table, columns, [again]);
    const stored = await rows();
    assert.equal(stored.length, 20_001);
    assert.equal(stored[1].name, 'n1', 'the first row stays as it was');
    const none = { query: () => Promise.reject(new Error('no statement for no rows')) };
    await insertUnnested(none, table, columns, []);
  });
});
