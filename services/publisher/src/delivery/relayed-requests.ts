import { EPHEMERAL_KEY_PREFIX, relayedRequestSchema, sealedRelayRequestOf, type SealedSecret, type WebhookEvent } from '@tidings/contracts';
import { forwardedRequest, type OutgoingRequest } from '@tidings/relay-forwarding';
import type { SecretBox } from '@tidings/secret-box';
import type { RelayDataKeys } from './relay-data-keys';

export type { OutgoingRequest };

/**
 * Opens the sealed requests of a relay output's batch and turns each back into the request its
 * sender made (see forwardedRequest). One that cannot be opened fails the attempt, named: an
 * ephemeral bucket's request whose data key is gone is one (its schedule is over).
 */
export class RelayedRequests {
  constructor(
    private readonly box: SecretBox,
    private readonly dataKeys: RelayDataKeys,
  ) {}

  async requests(outputUrl: string, events: WebhookEvent[]): Promise<OutgoingRequest[] | { unreadable: string }> {
    const requests: OutgoingRequest[] = [];
    for (const event of events) {
      const sealed = sealedRelayRequestOf(event);
      if (!sealed) return { unreadable: `event ${event.id} carries no relayed request` };
      const box = await this.boxFor(sealed);
      if (!box) return { unreadable: `relayed request ${event.id} was sealed under data key ${sealed.keyId}, which is gone: an ephemeral bucket keeps nothing past its retry schedule` };
      let opened: unknown;
      try {
        opened = JSON.parse(box.open(sealed, event.id));
      } catch (error) {
        return { unreadable: `relayed request ${event.id} could not be opened: ${(error as Error).message}` };
      }
      const parsed = relayedRequestSchema.safeParse(opened);
      if (!parsed.success) return { unreadable: `relayed request ${event.id} is not a request` };
      requests.push(forwardedRequest(outputUrl, event.id, parsed.data));
    }
    return requests;
  }

  private async boxFor(sealed: SealedSecret): Promise<SecretBox | undefined> {
    return sealed.keyId.startsWith(EPHEMERAL_KEY_PREFIX) ? this.dataKeys.boxFor(sealed.keyId) : this.box;
  }
}
