import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { Message } from 'kafkajs';
import { sendTraced } from './traced-producer';

describe('sendTraced', () => {
  const exporter = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

  it('stamps records with the send span, keeps a context a record already carries, and links to it', async () => {
    const carried = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    let sent: Message[] = [];
    await sendTraced({ send: async ({ messages }) => ((sent = messages), []) }, 'topic', [{ value: 'a' }, { value: 'b', headers: { traceparent: carried } }]);
    const [span] = exporter.getFinishedSpans();
    assert.equal(span?.name, 'send topic');
    assert.equal(String(sent[0]!.headers!.traceparent).split('-')[1], span!.spanContext().traceId);
    assert.equal(sent[1]!.headers!.traceparent, carried);
    assert.deepEqual(span!.links.map((l) => l.context.traceId), ['0af7651916cd43dd8448eb211c80319c']);
  });
});
