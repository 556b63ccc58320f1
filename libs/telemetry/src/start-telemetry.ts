import type { TelemetryConfig } from '@tidings/config';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { TIDINGS_VERSION } from './version';

/**
 * Keeps spans recording (so every log line and Kafka header carries a real trace id) when
 * no collector is configured, without exporting them anywhere.
 */
const discardSpans: SpanProcessor = {
  onStart: () => undefined,
  onEnd: () => undefined,
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
};

let provider: NodeTracerProvider | undefined;

export interface TelemetryOptions {
  /** Extra span processors (tests). */
  spanProcessors?: SpanProcessor[];
  /**
   * Instrument undici's outgoing requests (CLIENT spans, context injected into headers). Off in
   * the egress: its upstream requests go to customer endpoints, which get no trace context
   * unless configured, so it makes those spans itself.
   */
  undici?: boolean;
}

/**
 * Starts OpenTelemetry for this process. Must run before NestJS, pg or undici are loaded, so
 * each service's main.ts imports its `instrumentation.ts` first. Kafka spans are made by
 * @tidings/kafka itself (explicit producer/consumer spans with W3C context in headers).
 */
export function startTelemetry(config: TelemetryConfig, options: TelemetryOptions = {}): void {
  if (provider) return;
  const extra = options.spanProcessors ?? [];
  const exporting = config.otlpEndpoint
    ? [new BatchSpanProcessor(new OTLPTraceExporter({ url: new URL('/v1/traces', config.otlpEndpoint).toString() }))]
    : [];
  // Traces only, so the tracer provider and the instrumentations, not @opentelemetry/sdk-node:
  // that one loads the metrics and logs SDKs and every exporter as well, 12 MiB of heap and
  // 25 MiB of RSS per service for nothing (issue 16: 256 MiB per service).
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName, [ATTR_SERVICE_VERSION]: TIDINGS_VERSION }),
    spanProcessors: [...exporting, ...extra, ...(exporting.length + extra.length === 0 ? [discardSpans] : [])],
  });
  // The AsyncLocalStorage context manager and the W3C trace-context and baggage propagators.
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => req.url === '/metrics' || req.url?.startsWith('/health') === true || req.url?.startsWith('/ready') === true }),
      ...(options.undici === false ? [] : [new UndiciInstrumentation()]),
      new PgInstrumentation(),
    ],
  });
}

/** Flushes and stops tracing; called from the service's shutdown path. */
export async function stopTelemetry(): Promise<void> {
  await provider?.shutdown();
  provider = undefined;
}
