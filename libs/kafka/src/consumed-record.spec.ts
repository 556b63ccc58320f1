import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { detachRecord, type ConsumedRecord } from './consumed-record';
import { headerValue } from './trace-context';

describe('detachRecord', () => {
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const fetched = Buffer.from('{"kind":"event"}00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01vendor=1tidings');
  const record: ConsumedRecord = {
    topic: 'tidings.webhook-events.v1',
    partition: 3,
    offset: '42',
    key: 'endpoint-1',
    value: fetched.subarray(0, 16),
    headers: { traceparent: fetched.subarray(16, 71), tracestate: fetched.subarray(71, 79), 'x-other': fetched.subarray(79) },
    timestamp: '1700000000000',
  };

  it('keeps what a span needs, with the trace context as strings, and nothing that views the fetch buffer', () => {
    const detached = detachRecord(record);
    assert.deepEqual(detached, {
      topic: 'tidings.webhook-events.v1',
      partition: 3,
      offset: '42',
      key: 'endpoint-1',
      value: null,
      headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'vendor=1' },
      timestamp: '1700000000000',
    });
    assert.ok(Object.values(detached.headers).every((v) => typeof v === 'string'));
    assert.equal(headerValue(detached.headers, 'traceparent'), headerValue(record.headers, 'traceparent'));
  });

  it('leaves out trace headers the record does not carry', () => {
    assert.deepEqual(detachRecord({ ...record, headers: {} }).headers, {});
  });
});
