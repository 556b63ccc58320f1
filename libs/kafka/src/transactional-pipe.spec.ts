import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chunked, type OutputRecord } from './transactional-pipe';

describe('chunked', () => {
  it('keeps order and bounds each send', () => {
    const outputs: OutputRecord[] = Array.from({ length: 10 }, (_, i) => ({ topic: 't', key: String(i), value: 'x'.repeat(100) }));
    const chunks = chunked(outputs, 400);
    assert.deepEqual(chunks.flat(), outputs);
    assert.ok(chunks.length > 1);
    for (const c of chunks) assert.ok(c.length <= 3);
  });

  it('sends an oversized record alone rather than dropping it', () => {
    const big = { topic: 't', key: 'b', value: 'x'.repeat(1000) };
    assert.deepEqual(chunked([{ topic: 't', key: 'a', value: 'a' }, big], 100), [[{ topic: 't', key: 'a', value: 'a' }], [big]]);
  });
});
