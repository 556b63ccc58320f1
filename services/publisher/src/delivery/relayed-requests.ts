import { relayedRequestSchema, sealedRelayRequestOf, type WebhookEvent } from '@tidings/contracts';
import { forwardedRequest, type OutgoingRequest } from '@tidings/relay-forwarding';
import type { SecretBox } from '@tidings/secret-box';

export type { OutgoingRequest };

/**
 * Opens the sealed requests of a relay output's batch and turns each back into the request its
 * sender made (see forwardedRequest). One that cannot be opened fails the attempt, named.
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
      requests.push(forwardedRequest(outputUrl, event.id, parsed.data));
    }
    return requests;
  }
}
