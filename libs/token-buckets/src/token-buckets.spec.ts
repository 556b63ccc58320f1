import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBuckets } from './token-buckets';

describe('TokenBuckets', () => {
  it('lets a burst of `requests` through, then one per interval', () => {
    const limits = new TokenBuckets();
    const limit = { requests: 2, perSeconds: 1 };
    for (let i = 0; i < 2; i++) {
      assert.equal(limits.waitMs('a', limit, 0), 0);
      limits.spend('a', limit, 0);
    }
    assert.equal(limits.waitMs('a', limit, 0), 500);
    assert.equal(limits.waitMs('a', limit, 250), 250);
    assert.equal(limits.waitMs('a', limit, 500), 0);
  });

  it('keeps each endpoint to its own bucket', () => {
    const limits = new TokenBuckets();
    const limit = { requests: 1, perSeconds: 1 };
    limits.spend('a', limit, 0);
    assert.equal(limits.waitMs('a', limit, 0), 1_000);
    assert.equal(limits.waitMs('b', limit, 0), 0);
  });
});
