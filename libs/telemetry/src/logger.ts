import { trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';
import type { TelemetryConfig } from '@tidings/config';

export type { Logger } from 'pino';

/**
 * JSON logs on stdout, one object a line, each carrying the active trace and span id so a log
 * line leads to its trace in Tempo.
 */
export function createLogger(config: Pick<TelemetryConfig, 'serviceName' | 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service: config.serviceName },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const span = trace.getActiveSpan();
      if (!span) return {};
      const { traceId, spanId } = span.spanContext();
      return { trace_id: traceId, span_id: spanId };
    },
  });
}
