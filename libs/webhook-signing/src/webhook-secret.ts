import { randomBytes } from 'node:crypto';

export const WEBHOOK_SECRET_PREFIX = 'tskey-webhook-';
const STANDARD_PREFIX = 'whsec_';

/** A new signing secret: `tskey-webhook-` + 32 random bytes, base64url. */
export function generateWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/**
 * The same key for Standard Webhooks libraries: `whsec_` + base64 of the secret's UTF-8 bytes.
 * Both schemes therefore HMAC with identical key bytes.
 */
export function toStandardWebhooksSecret(secret: string): string {
  return `${STANDARD_PREFIX}${Buffer.from(secret, 'utf8').toString('base64')}`;
}

/** The HMAC key bytes behind a `whsec_` secret. */
export function standardWebhooksKey(whsec: string): Buffer {
  if (!whsec.startsWith(STANDARD_PREFIX)) throw new Error('a Standard Webhooks secret starts with whsec_');
  return Buffer.from(whsec.slice(STANDARD_PREFIX.length), 'base64');
}
