import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EndpointConfigEvent } from '@tidings/contracts';
import { applyConfigEvent, type EndpointState } from './endpoint-state';

const sealed = (n: string) => ({ keyId: 'k', iv: n, ciphertext: n, tag: n });
const base = (version: number) => ({
  schemaVersion: 1 as const,
  eventId: `e${version}`,
  endpointId: 'ep1',
  tailnet: 't1',
  version,
  occurredAt: '2026-01-01T00:00:00Z',
  actor: 'a@b',
});
const created: EndpointConfigEvent = { ...base(1), type: 'endpointCreated', endpointUrl: 'https://x.example/h', providerType: '', subscriptions: ['nodeCreated'], secret: sealed('s1') };

function fold(events: EndpointConfigEvent[]): EndpointState | undefined {
  return events.reduce<EndpointState | undefined>((s, e) => applyConfigEvent(s, e).state, undefined);
}

describe('applyConfigEvent', () => {
  it('folds a life cycle', () => {
    const state = fold([
      created,
      { ...base(2), type: 'endpointSubscriptionsChanged', subscriptions: ['categoryTailnetManagement'] },
      { ...base(3), type: 'endpointDisabled', reason: 'gone' },
      { ...base(4), type: 'endpointEnabled' },
      { ...base(5), type: 'endpointSecretRotated', secret: sealed('s2'), previousSecretValidUntil: '2026-01-02T00:00:00Z' },
    ]);
    assert.deepEqual(state?.subscriptions, ['categoryTailnetManagement']);
    assert.equal(state?.enabled, true);
    assert.equal(state?.secret?.iv, 's2');
    assert.deepEqual(state?.previousSecret, { secret: sealed('s1'), validUntil: '2026-01-02T00:00:00Z' });
    assert.equal(state?.version, 5);
    assert.equal(fold([created, { ...base(2), type: 'endpointDeleted' }]), undefined);
  });

  it("keeps the endpoint's own rate limit: from the create, changed, and null again", () => {
    assert.equal(fold([created])?.rateLimit, null, 'an event from before rate limits has none');
    const limited = fold([{ ...created, rateLimit: { requests: 2, perSeconds: 10 } }]);
    assert.deepEqual(limited?.rateLimit, { requests: 2, perSeconds: 10 });
    const changed = fold([created, { ...base(2), type: 'endpointRateLimitChanged', rateLimit: { requests: 1, perSeconds: 5 } }]);
    assert.deepEqual(changed?.rateLimit, { requests: 1, perSeconds: 5 });
    assert.equal(applyConfigEvent(changed, { ...base(3), type: 'endpointRateLimitChanged', rateLimit: null }).state?.rateLimit, null);
  });

  it('ignores a redelivered event and reports a gap', () => {
    const s1 = fold([created, { ...base(2), type: 'endpointDisabled', reason: 'x' }])!;
    const again = applyConfigEvent(s1, { ...base(2), type: 'endpointDisabled', reason: 'x' });
    assert.equal(again.outcome, 'duplicate');
    assert.equal(applyConfigEvent(s1, created).outcome, 'duplicate');
    const gap = applyConfigEvent(s1, { ...base(4), type: 'endpointEnabled' });
    assert.equal(gap.outcome, 'out-of-order');
    assert.equal(gap.state?.enabled, false);
    assert.equal(applyConfigEvent(undefined, { ...base(2), type: 'endpointEnabled' }).outcome, 'unknown-endpoint');
  });
});
