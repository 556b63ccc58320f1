import { context, propagation, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import type { IHeaders } from 'kafkajs';

type Headers = IHeaders;

const setter: TextMapSetter<Headers> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

const getter: TextMapGetter<Headers> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    if (value === undefined) return undefined;
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined ? undefined : first.toString();
  },
};

/** Writes the W3C trace context of `ctx` (default: the active one) into Kafka headers. */
export function injectTraceContext(headers: Headers, ctx: Context = context.active()): Headers {
  propagation.inject(ctx, headers, setter);
  return headers;
}

/** Reads the W3C trace context a producer left in a record's headers. */
export function extractTraceContext(headers: Headers | undefined): Context {
  return propagation.extract(context.active(), headers ?? {}, getter);
}

/** A header's value as a string (kafkajs hands them over as Buffers). */
export function headerValue(headers: Headers | undefined, name: string): string | undefined {
  return headers ? getter.get(headers, name) as string | undefined : undefined;
}
