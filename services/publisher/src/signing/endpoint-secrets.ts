import { secretsInForce, type EndpointState } from '@tidings/endpoint-directory';
import type { SecretBox } from '@tidings/secret-box';
import type { DeliveryTarget } from '../delivery/delivery-terms';

/** The secrets, opened, that sign a delivery to an endpoint now (see secretsInForce). */
export function signingSecrets(endpoint: EndpointState, box: SecretBox, now: Date = new Date()): string[] {
  return secretsInForce(endpoint, now).map((sealed) => box.open(sealed, endpoint.endpointId));
}

/** Where a payload for an endpoint goes now, and what signs it. */
export function deliveryTarget(endpoint: EndpointState, box: SecretBox): DeliveryTarget {
  return { endpointId: endpoint.endpointId, tailnet: endpoint.tailnet, endpointUrl: endpoint.endpointUrl, provider: endpoint.providerType, secrets: signingSecrets(endpoint, box), ...(endpoint.relay ? { relay: true } : {}) };
}
