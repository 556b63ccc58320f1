import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeWebhookEventRecords, webhookEventRecordSchema, type WebhookEvent, type WebhookEventRecord } from './webhook-event';

describe('encodeWebhookEventRecords', () => {
  const event: WebhookEvent = {
    id: 'ev-1',
    timestamp: '2026-11-30T07:00:00Z',
    version: 1,
    type: 'nodeCreated',
    tailnet: 'example.com',
    message: 'Node "quoted" \\ laptop\u2028 (n1) was created',
    data: { nodeID: 'n1', deviceName: 'laptop "x"' },
  };

  it('writes each record exactly as JSON.stringify writes the record object, one per endpoint, in order', () => {
    const ids = ['ep-1', 'ep-"2"', 'ep-\u00e9'];
    const encoded = encodeWebhookEventRecords('example.com', event, ids);
    assert.deepEqual(
      encoded,
      ids.map((endpointId) => JSON.stringify({ schemaVersion: 1, kind: 'event', endpointId, tailnet: 'example.com', event } satisfies WebhookEventRecord)),
    );
    for (const record of encoded) assert.equal(webhookEventRecordSchema.safeParse(JSON.parse(record)).success, true);
  });

  it('writes nothing for no endpoints', () => {
    assert.deepEqual(encodeWebhookEventRecords('example.com', event, []), []);
  });
});
