import { trace } from '@opentelemetry/api';
import pino, { type Logger, type LoggerOptions } from 'pino';
import type { TelemetryConfig } from '@tidings/config';

export type { Logger } from 'pino';

/**
 * JSON logs on stdout, one object a line, each carrying the active trace and span id so a log
 * line leads to its trace in Tempo. Written asynchronously: a line is formatted at once and
 * its write leaves the event loop free (the egress logs every request, and a synchronous
 * write holds the loop for as long as the pipe or disk takes). pino flushes what is buffered when the process exits, so a
 * clean stop loses no line; a kill -9 can lose the last moment's.
 */
export function createLogger(config: Pick<TelemetryConfig, 'serviceName' | 'logLevel'>): Logger {
  const options: LoggerOptions = {
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
  };
  return pino(options, pino.destination({ dest: 1, sync: false }));
}
