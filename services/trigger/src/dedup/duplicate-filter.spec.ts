import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { DuplicateFilter } from './duplicate-filter';

describe('DuplicateFilter', () => {
  it('treats a key seen within the window as a duplicate, and forgets it after', () => {
    let now = 1_000_000;
    const filter = new DuplicateFilter(pino({ level: 'silent' }), 10_000, () => now);
    assert.equal(filter.isDuplicate('a'), false);
    filter.remember('a', now);
    assert.equal(filter.isDuplicate('a'), true);
    now += 9_999;
    assert.equal(filter.isDuplicate('a'), true);
    now += 1;
    assert.equal(filter.isDuplicate('a'), false);
    filter.prune();
    assert.equal(filter.size, 0);
  });

  it('ignores marks already outside the window', () => {
    const filter = new DuplicateFilter(pino({ level: 'silent' }), 10_000, () => 50_000);
    filter.remember('old', 30_000);
    assert.equal(filter.size, 0);
    filter.remember('recent', 45_000);
    assert.equal(filter.isDuplicate('recent'), true);
  });
});
