import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { percentiles } from './stats';

describe('percentiles (nearest rank)', () => {
  it('reads p50/p95/p99 of a sample in any order', () => {
    const sample = Array.from({ length: 1000 }, (_, i) => 1000 - i); // 1000..1, shuffled by reversal
    assert.deepEqual(percentiles(sample), { p50: 500, p95: 950, p99: 990 });
  });

  it('takes the only value of a one-element sample, and nothing of an empty one', () => {
    assert.deepEqual(percentiles([42.04]), { p50: 42, p95: 42, p99: 42 });
    assert.equal(percentiles([]), null);
  });
});
