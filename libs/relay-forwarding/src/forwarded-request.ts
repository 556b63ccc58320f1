import { HTTP_HEADERS, type RelayedRequest } from '@tidings/contracts';

/** One HTTP request as it goes to the egress. */
export interface OutgoingRequest {
  url: string;
  method: string;
  body: string | Buffer;
  headers: Record<string, string>;
}

/** Never forwarded, whatever the relay kept: the egress reads `x-tidings-*` as instructions. */
const NEVER = /^(x-tidings-|host$|content-length$|connection$|transfer-encoding$|x-forwarded-for$)/;

/**
 * A relayed request as its output receives it, whoever sends it (the publisher, or the relay
 * itself when the input waits for its destination): the sender's method, the output's URL with
 * the sender's query, the body byte for byte with its content type and kept headers, plus
 * `X-Forwarded-For` (the sender's address) and `X-Tidings-Relay-Id` (the same on every attempt
 * and output). Unsigned.
 */
export function forwardedRequest(outputUrl: string, requestId: string, r: RelayedRequest): OutgoingRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(r.headers)) if (!NEVER.test(name)) headers[name] = value;
  headers['x-forwarded-for'] = r.clientAddress;
  headers[HTTP_HEADERS.relayRequestId] = requestId;
  const url = r.query ? `${outputUrl}${outputUrl.includes('?') ? '&' : '?'}${r.query}` : outputUrl;
  return { url, method: r.method, body: Buffer.from(r.body, 'base64'), headers };
}
