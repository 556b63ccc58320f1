import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WebhookEvent } from '@tidings/contracts';
import { eventItem, takeBatch, companyWaitMs, type LaneItem } from './batch-former';

const event = (n: number, size = 10): WebhookEvent => ({
  id: `e${n}`,
  timestamp: '2026-11-22T10:00:00Z',
  version: 1,
  type: 'nodeCreated',
  tailnet: 't.example',
  message: 'x'.repeat(size),
  data: {},
});
const items = (count: number, options: { size?: number; gapMs?: number } = {}): LaneItem[] =>
  Array.from({ length: count }, (_, i) => eventItem(event(i, options.size), `p0@${i}`, 1_000 + i * (options.gapMs ?? 0)));
const limits = { maxEvents: 100, maxBytes: 256 * 1024, lingerMs: 1_000 };

describe('takeBatch', () => {
  it('takes up to maxEvents', () => {
    const taken = takeBatch(items(250), limits)!;
    assert.equal(taken.taken, 100);
    assert.deepEqual(taken.batch.events.map((e) => e.id).slice(0, 2), ['e0', 'e1']);
  });

  it('keeps the body within maxBytes, but sends an oversized event alone', () => {
    const small = items(10, { size: 100 });
    const bytes = JSON.stringify(small.slice(0, 3).map((i) => (i.kind === 'event' ? i.event : null))).length;
    assert.equal(takeBatch(small, { ...limits, maxBytes: bytes })!.taken, 3);
    assert.equal(takeBatch(small, { ...limits, maxBytes: bytes - 1 })!.taken, 2);
    assert.equal(takeBatch(items(3, { size: 5_000 }), { ...limits, maxBytes: 1_000 })!.taken, 1);
  });

  it('takes every queued event up to the caps, however long apart they arrived', () => {
    assert.equal(takeBatch(items(10, { gapMs: 300 }), limits)!.taken, 10);
  });

  it('waits for company only while the egress is backlogged, the batch is not full and its head is young', () => {
    const queue = items(3);
    const at = 1_000 + 400;
    assert.equal(companyWaitMs(queue, 3, limits, at, true), 600, 'until the head has waited the linger');
    assert.equal(companyWaitMs(queue, 3, limits, at, false), 0, 'no backlog: a lone batch goes at once');
    assert.equal(companyWaitMs(queue, 3, limits, 1_000 + 1_000, true), 0, 'the head waited the linger');
    assert.equal(companyWaitMs(queue, 2, limits, at, true), 0, 'cut by a cap: full');
    assert.equal(companyWaitMs(items(100), 100, limits, at, true), 0, 'maxEvents reached');
    const replay: LaneItem = { kind: 'batch', batch: { id: 'msg_replayed', events: [event(9)] }, origin: 'p0@9', receivedAt: 1_000 };
    assert.equal(companyWaitMs([replay], 1, limits, at, true), 0, 'a formed batch never waits');
  });

  it('gives the same run the same id, and another run another id', () => {
    const run = items(5);
    assert.equal(takeBatch(run, limits)!.batch.id, takeBatch(items(5), limits)!.batch.id);
    assert.notEqual(takeBatch(run, limits)!.batch.id, takeBatch(run, { ...limits, maxEvents: 4 })!.batch.id);
    assert.match(takeBatch(run, limits)!.batch.id, /^msg_[0-9a-f]{32}$/);
  });

  it('passes a formed batch through unchanged and stops an event run before it', () => {
    const replay: LaneItem = { kind: 'batch', batch: { id: 'msg_replayed', events: [event(9)] }, origin: 'p0@9', receivedAt: 1_000 };
    assert.deepEqual(takeBatch([replay, ...items(2)], limits), { batch: replay.batch, taken: 1 });
    assert.equal(takeBatch([...items(2), replay], limits)!.taken, 2);
    assert.equal(takeBatch([], limits), undefined);
  });
});
