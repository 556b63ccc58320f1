import type { EndpointState } from '@tidings/endpoint-directory';
import type { SecretBox } from '@tidings/secret-box';

/**
 * The secrets that sign a delivery to an endpoint now: the current one, plus the previous one
 * while its rotation grace period lasts.
 */
export function signingSecrets(endpoint: EndpointState, box: SecretBox, now: Date = new Date()): string[] {
  const secrets = [box.open(endpoint.secret, endpoint.endpointId)];
  const previous = endpoint.previousSecret;
  if (previous && new Date(previous.validUntil) > now) secrets.push(box.open(previous.secret, endpoint.endpointId));
  return secrets;
}
