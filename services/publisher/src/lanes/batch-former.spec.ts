import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WebhookEvent } from '@tidings/contracts';
import { eventItem, takeBatch, type LaneItem } from './batch-former';

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

  it('takes only events that arrived within the linger of the first', () => {
    assert.equal(takeBatch(items(10, { gapMs: 300 }), limits)!.taken, 4);
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
