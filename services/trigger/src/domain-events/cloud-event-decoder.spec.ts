import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConsumedRecord } from '@tidings/kafka';
import { decodeCloudEvent } from './cloud-event-decoder';

const record = (value: string | null, headers: Record<string, string> = {}): ConsumedRecord => ({
  topic: 'tailnet.events',
  partition: 0,
  offset: '0',
  key: 't1',
  value: value === null ? null : Buffer.from(value),
  headers,
  timestamp: '0',
});

const envelope = {
  specversion: '1.0',
  id: 'ev1',
  source: '//control',
  type: 'nodeNeedsApproval',
  time: '2026-11-22T10:00:00Z',
  tailnet: 't1',
  data: { nodeID: 'n1', deviceName: 'laptop', managedBy: 'a@b', actor: 'a@b' },
};

describe('decodeCloudEvent', () => {
  it('reads structured mode', () => {
    const decoded = decodeCloudEvent(record(JSON.stringify(envelope)));
    assert.ok(decoded.ok);
    assert.equal(decoded.event.type, 'nodeNeedsApproval');
    assert.equal(decoded.event.data.deviceName, 'laptop');
  });

  it('reads binary mode from ce_ headers', () => {
    const { data, ...attributes } = envelope;
    const headers = Object.fromEntries(Object.entries(attributes).map(([k, v]) => [`ce_${k}`, v]));
    const decoded = decodeCloudEvent(record(JSON.stringify(data), headers));
    assert.ok(decoded.ok);
    assert.equal(decoded.event.id, 'ev1');
    assert.equal(decoded.event.tailnet, 't1');
  });

  it('names what is wrong with unusable records', () => {
    const cases: [ConsumedRecord, string, RegExp][] = [
      [record('{not json'), 'not-json', /not JSON/],
      [record(JSON.stringify({ ...envelope, tailnet: undefined })), 'invalid-envelope', /tailnet/],
      [record(JSON.stringify({ ...envelope, time: 'yesterday' })), 'invalid-envelope', /time/],
      [record(JSON.stringify({ ...envelope, type: 'nodeExploded' })), 'unknown-type', /nodeExploded/],
      [record(JSON.stringify({ ...envelope, type: 'webhookDeleted' })), 'unknown-type', /webhookDeleted/],
      [record(JSON.stringify({ ...envelope, data: { nodeID: 'n1' } })), 'invalid-data', /deviceName/],
      [record(null), 'invalid-envelope', /CloudEvent/],
      [record(JSON.stringify({ ...envelope, data: { ...envelope.data, deviceName: 'x'.repeat(300_000) } })), 'too-large', /at most 262144/],
      [record(JSON.stringify({ ...envelope, id: 'a\u0000b' })), 'invalid-envelope', /id: contains a control character/],
      [record(JSON.stringify({ ...envelope, tailnet: 't1\u0085' })), 'invalid-envelope', /tailnet: contains a control character/],
      [record(JSON.stringify(envelope).replace('"data":{', `"data":{"deep":${'['.repeat(50_000)}${']'.repeat(50_000)},`)), 'invalid-data', /deeper than 16/],
    ];
    for (const [input, code, reason] of cases) {
      const decoded = decodeCloudEvent(input);
      assert.equal(decoded.ok, false);
      if (!decoded.ok) {
        assert.equal(decoded.code, code);
        assert.match(decoded.reason, reason);
      }
    }
  });
});
