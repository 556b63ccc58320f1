import type { TelemetryConfig } from '@tidings/config';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
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

let sdk: NodeSDK | undefined;

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
export function startTelemetry(config: TelemetryConfig, options: TelemetryOptions = {}): NodeSDK {
  if (sdk) return sdk;
  const extra = options.spanProcessors ?? [];
  const exporting = config.otlpEndpoint
    ? [new BatchSpanProcessor(new OTLPTraceExporter({ url: new URL('/v1/traces', config.otlpEndpoint).toString() }))]
    : [];
  sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName, [ATTR_SERVICE_VERSION]: TIDINGS_VERSION }),
    spanProcessors: [...exporting, ...extra, ...(exporting.length + extra.length === 0 ? [discardSpans] : [])],
    // Explicitly none: left unset, the SDK builds OTLP metric and log exporters from env
    // defaults that push to localhost:4318 and stall shutdown for seconds. Logs go to stdout.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => req.url === '/metrics' || req.url?.startsWith('/health') === true || req.url?.startsWith('/ready') === true }),
      ...(options.undici === false ? [] : [new UndiciInstrumentation()]),
      new PgInstrumentation(),
    ],
  });
  sdk.start();
  return sdk;
}

/** Flushes and stops the SDK; called from the service's shutdown path. */
export async function stopTelemetry(): Promise<void> {
  await sdk?.shutdown();
  sdk = undefined;
}
