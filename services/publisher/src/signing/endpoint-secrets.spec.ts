import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { EndpointState } from '@tidings/endpoint-directory';
import { SecretBox } from '@tidings/secret-box';
import { signingSecrets } from './endpoint-secrets';

describe('signingSecrets', () => {
  const box = new SecretBox([{ id: 'k', key: randomBytes(32) }]);
  const endpoint = (previousValidUntil: string | null): EndpointState => ({
    endpointId: 'e1',
    tailnet: 't',
    endpointUrl: 'https://x.example/',
    providerType: '',
    rateLimit: null,
    subscriptions: [],
    enabled: true,
    disabledReason: null,
    secret: box.seal('new', 'e1'),
    previousSecret: previousValidUntil ? { secret: box.seal('old', 'e1'), validUntil: previousValidUntil } : null,
    version: 2,
  });
  const now = new Date('2026-11-22T12:00:00Z');

  it('signs with both secrets during the grace period, then with the new one only', () => {
    assert.deepEqual(signingSecrets(endpoint('2026-11-22T13:00:00Z'), box, now), ['new', 'old']);
    assert.deepEqual(signingSecrets(endpoint('2026-11-22T11:59:59Z'), box, now), ['new']);
    assert.deepEqual(signingSecrets(endpoint(null), box, now), ['new']);
  });
});
