import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ADVISORY_LOCKS, sharedAdvisoryLockIds } from './advisory-locks';

describe('advisory locks', () => {
  it('gives every lock its own id', () => {
    assert.deepEqual(sharedAdvisoryLockIds(), []);
    assert.equal(new Set(Object.values(ADVISORY_LOCKS)).size, Object.keys(ADVISORY_LOCKS).length);
  });

  it('names the locks that share an id', () => {
    assert.deepEqual(sharedAdvisoryLockIds({ a: 1, b: 2, c: 1 }), ['a', 'c']);
  });

  it('uses safe integers (pg_advisory_lock takes a bigint)', () => {
    for (const id of Object.values(ADVISORY_LOCKS)) assert.ok(Number.isSafeInteger(id) && id > 0, String(id));
  });
});
