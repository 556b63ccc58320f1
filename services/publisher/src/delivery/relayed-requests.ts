import { HTTP_HEADERS, relayedRequestSchema, sealedRelayRequestOf, type WebhookEvent } from '@tidings/contracts';
import type { SecretBox } from '@tidings/secret-box';

/** One HTTP request of an attempt, as it goes to the egress. */
export interface OutgoingRequest {
  url: string;
  method: string;
  body: string | Buffer;
  headers: Record<string, string>;
}

/** Never forwarded, whatever the relay kept: the egress reads `x-tidings-*` as instructions. */
const NEVER = /^(x-tidings-|host$|content-length$|connection$|transfer-encoding$|x-forwarded-for$)/;

/**
 * Opens the sealed requests of a relay output's batch and turns each back into the request its
 * sender made: same method, the output's URL with the sender's query, the body byte for byte
 * with its content type and kept headers, plus `X-Forwarded-For` (the sender's address) and
 * `X-Tidings-Relay-Id` (the request's id, the same on every attempt and output). Unsigned.
 */
export class RelayedRequests {
  constructor(private readonly box: SecretBox) {}

  requests(outputUrl: string, events: WebhookEvent[]): OutgoingRequest[] | { unreadable: string } {
    const requests: OutgoingRequest[] = [];
    for (const event of events) {
      const sealed = sealedRelayRequestOf(event);
      if (!sealed) return { unreadable: `event ${event.id} carries no relayed request` };
      let opened: unknown;
      try {
        opened = JSON.parse(this.box.open(sealed, event.id));
      } catch (error) {
        return { unreadable: `relayed request ${event.id} could not be opened: ${(error as Error).message}` };
      }
      const parsed = relayedRequestSchema.safeParse(opened);
      if (!parsed.success) return { unreadable: `relayed request ${event.id} is not a request` };
      const r = parsed.data;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(r.headers)) if (!NEVER.test(name)) headers[name] = value;
      headers['x-forwarded-for'] = r.clientAddress;
      headers[HTTP_HEADERS.relayRequestId] = event.id;
      const url = r.query ? `${outputUrl}${outputUrl.includes('?') ? '&' : '?'}${r.query}` : outputUrl;
      requests.push({ url, method: r.method, body: Buffer.from(r.body, 'base64'), headers });
    }
    return requests;
  }
}
