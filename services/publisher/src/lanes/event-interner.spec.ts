import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WebhookEvent } from '@tidings/contracts';
import { EventInterner } from './event-interner';

const event = (id: string, message = 'Node laptop joined'): WebhookEvent => ({ id, timestamp: '2026-11-29T10:00:00Z', version: 1, type: 'nodeCreated', tailnet: 't.example', message, data: { nodeID: 'n1' } });

describe('EventInterner', () => {
  it('gives every copy of an event the first copy, with its JSON size', () => {
    const interner = new EventInterner();
    const first = event('e1');
    assert.equal(interner.intern(first).event, first);
    const copies = Array.from({ length: 1_000 }, () => interner.intern(event('e1')));
    assert.ok(copies.every((c) => c.event === first), 'one object for a thousand copies');
    assert.equal(copies[0]!.bytes, Buffer.byteLength(JSON.stringify(first)));
    assert.equal(interner.size, 1);
  });

  it('never shares events that differ in anything, the id included', () => {
    const interner = new EventInterner();
    const a = interner.intern(event('e1')).event;
    assert.notEqual(interner.intern(event('e2')).event, a);
    assert.notEqual(interner.intern(event('e1', 'another message')).event, a);
    assert.equal(interner.size, 3);
  });
});
