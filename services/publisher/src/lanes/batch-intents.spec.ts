import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WebhookEvent } from '@tidings/contracts';
import { eventItem } from './batch-former';
import { replayIntent, type BatchIntent } from './batch-intents';
import type { QueuedItem } from './queued-item';

const event = (id: string) => ({ id, timestamp: '2026-11-29T00:00:00Z', version: 1, type: 'nodeCreated', tailnet: 't', message: 'm', data: {} }) as unknown as WebhookEvent;
const item = (offset: number, receivedAt = 1_000): QueuedItem => ({ ...eventItem(event(`e${offset}`), `0@${offset}`, receivedAt), offset });
const intent: BatchIntent = { endpointId: 'ep', batchId: 'msg_before', partition: 0, offsets: [3, 7, 9] };

describe('replayIntent', () => {
  it('re-forms the batch as it was once all its records are queued again, whatever follows', () => {
    const replay = replayIntent([item(3), item(7), item(9), item(12)], intent, 1_100);
    assert.deepEqual(replay, { ready: { id: 'msg_before', events: [event('e3'), event('e7'), event('e9')] }, taken: 3 });
  });

  it('waits while the rest is still being read again, for a while', () => {
    assert.equal(replayIntent([item(3), item(7)], intent, 1_100), 'wait');
    assert.equal(replayIntent([item(3), item(7)], intent, 7_000), 'stale');
  });

  it('re-forms it from drained items too: a parked record keeps its origin', () => {
    const drained: QueuedItem[] = [3, 7, 9].map((o) => ({ ...eventItem(event(`e${o}`), `0@${o}`, 1_000), seq: o }));
    assert.deepEqual(replayIntent(drained, intent, 1_100), { ready: { id: 'msg_before', events: [event('e3'), event('e7'), event('e9')] }, taken: 3 });
  });

  it('gives up when the lane went another way', () => {
    assert.equal(replayIntent([item(3), item(8)], intent, 1_100), 'stale');
    assert.equal(replayIntent([item(4), item(7), item(9)], intent, 1_100), 'stale');
  });
});
