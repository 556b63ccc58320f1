import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromTraceparent, toTraceparent } from './traceparent';

describe('traceparent', () => {
  it('round-trips a span context', () => {
    const span = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 };
    assert.equal(toTraceparent(span), '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    assert.deepEqual(fromTraceparent(toTraceparent(span)), { ...span, isRemote: true });
  });

  it('refuses absent, malformed and all-zero values', () => {
    for (const bad of [null, undefined, '', 'garbage', '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`]) {
      assert.equal(fromTraceparent(bad), undefined, String(bad));
    }
  });
});
