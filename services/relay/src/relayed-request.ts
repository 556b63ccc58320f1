import type { IncomingHttpHeaders } from 'node:http';
import type { BucketAuth, RelayedRequest } from '@tidings/contracts';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and what the hop set, never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'expect']);

/** The caller's credentials for us, never for the destination. */
const AUTH = new Set(['authorization', 'cookie']);

/** One value per header, as the relay reads and forwards them (repeated headers joined as HTTP allows). */
export function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name] = Array.isArray(value) ? value.join(name === 'set-cookie' ? '\n' : ', ') : value;
  }
  return flat;
}

/**
 * What goes on to the outputs: the body byte for byte, its content type and the sender's
 * headers (its signature too: a destination may check it again), without hop-by-hop headers,
 * the caller's credentials for the relay (basic, the bucket's token header, cookies) or any
 * X-Forwarded-For, which the forwarder writes itself from `clientAddress`.
 */
export function relayedRequest(method: string, query: string, headers: Record<string, string>, body: Buffer, clientAddress: string, auth: BucketAuth): RelayedRequest {
  const tokenHeader = auth.token?.header.toLowerCase();
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (HOP_BY_HOP.has(name) || AUTH.has(name) || name === tokenHeader || name === 'x-forwarded-for' || name.startsWith('x-tidings-')) continue;
    kept[name] = value;
  }
  return { method, query, headers: kept, body: body.toString('base64'), clientAddress };
}
