import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { recordFailure } from './span-failure';

describe('recordFailure', () => {
  const exporter = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('test');

  it('records the exception and sets ERROR with its message, leaving the span open', () => {
    const span = tracer.startSpan('work');
    recordFailure(span, new TypeError('broker gone'));
    assert.equal(span.isRecording(), true, 'the owner ends it');
    span.end();
    const [done] = exporter.getFinishedSpans();
    assert.deepEqual(done!.status, { code: SpanStatusCode.ERROR, message: 'broker gone' });
    const event = done!.events.find((e) => e.name === 'exception');
    assert.equal(event?.attributes?.['exception.type'], 'TypeError');
    assert.equal(event?.attributes?.['exception.message'], 'broker gone');
  });

  it('accepts a thrown value that is not an Error', () => {
    exporter.reset();
    const span = tracer.startSpan('work');
    recordFailure(span, 'plain string');
    span.end();
    assert.deepEqual(exporter.getFinishedSpans()[0]!.status, { code: SpanStatusCode.ERROR, message: 'plain string' });
  });
});
