import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeadLetterRecord } from '@tidings/contracts';
import { auditDeliveries, type LedgerInput } from './ledger';
import type { ChaosEndpoint } from './receiver-fleet';

const endpoint = (kind: ChaosEndpoint['kind'], id: string): ChaosEndpoint => ({ kind, tailnet: 't', path: `/${id}`, host: 'h', endpointId: id, secret: '', standardWebhooksSecret: '', subscriptions: [] });
const produced = [1, 2, 3, 4].map((n) => ({ id: `e${n}`, tailnet: 't', type: 'nodeCreated', at: n * 1_000 }));
const deadLetter = (endpointId: string, ids: string[]) => ({ endpointId, batch: { id: 'b', events: ids.map((id) => ({ id })) }, reason: 'gone' }) as unknown as DeadLetterRecord;

function input(overrides: Partial<LedgerInput>): LedgerInput {
  return {
    produced,
    endpoints: [endpoint('gone', 'g')],
    arrivals: new Map(),
    deadLetters: [],
    routed: new Map([['g', new Set(['e1', 'e2'])]]),
    // Disabled at 3.5 s: e3 was produced before, e4 after.
    states: new Map([['g', { status: 'disabled', disabledReason: '410', lastModified: new Date(3_500).toISOString() }]]),
    badSent: 0,
    domainDeadLetters: 0,
    ...overrides,
  };
}

const pairsRow = (i: LedgerInput) => auditDeliveries(i).find((r) => r.check.startsWith('every (event, endpoint) pair'))!;

describe('the chaos ledger, for an endpoint that was disabled', () => {
  it('counts the pairs the trigger routed to it, not an event it saw only after the disable', () => {
    const row = pairsRow(input({ deadLetters: [deadLetter('g', ['e1', 'e2'])] }));
    assert.equal(row.ok, true, row.detail);
    assert.match(row.detail, /^2 pairs: 0 delivered, 2 dead-lettered, 0 missing/);
  });

  it('still finds a routed pair neither delivered nor dead-lettered', () => {
    const row = pairsRow(input({ deadLetters: [deadLetter('g', ['e1'])] }));
    assert.equal(row.ok, false);
    assert.match(row.detail, /e2 → \/g \(gone\)/);
  });

  it('counts every pair of an endpoint that stayed enabled, routed or not', () => {
    const row = pairsRow(input({ endpoints: [endpoint('steady', 's')], states: new Map([['s', { status: 'enabled', disabledReason: null, lastModified: new Date(0).toISOString() }]]) }));
    assert.equal(row.ok, false);
    assert.match(row.detail, /^4 pairs: 0 delivered, 0 dead-lettered, 4 missing/);
  });
});
