import { secretsInForce, type EndpointState } from '@tidings/endpoint-directory';
import type { SecretBox } from '@tidings/secret-box';

/** The secrets, opened, that sign a delivery to an endpoint now (see secretsInForce). */
export function signingSecrets(endpoint: EndpointState, box: SecretBox, now: Date = new Date()): string[] {
  return secretsInForce(endpoint, now).map((sealed) => box.open(sealed, endpoint.endpointId));
}
