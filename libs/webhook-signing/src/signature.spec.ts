import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signatureHeaders, verifyStandardWebhook, verifyTailscaleSignature } from './signature';
import { generateWebhookSecret, standardWebhooksKey, toStandardWebhooksSecret } from './webhook-secret';

const now = () => 1_614_265_330_000;

describe('webhook signatures', () => {
  it('matches the Standard Webhooks reference vector', () => {
    // From the Standard Webhooks specification's worked example.
    const whsec = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const headers = {
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    assert.equal(verifyStandardWebhook(headers, '{"test": 2432232314}', whsec, { now }), true);
    assert.equal(verifyStandardWebhook(headers, '{"test": 2432232315}', whsec, { now }), false);
  });

  it('signs both schemes with the same key bytes', () => {
    const secret = generateWebhookSecret();
    assert.match(secret, /^tskey-webhook-[A-Za-z0-9_-]{43}$/);
    const whsec = toStandardWebhooksSecret(secret);
    assert.deepEqual(standardWebhooksKey(whsec), Buffer.from(secret, 'utf8'));

    const body = '[{"id":"e1"}]';
    const headers = signatureHeaders({ id: 'msg_1', timestamp: 1_614_265_330, body, secrets: [secret] });
    assert.match(headers['tailscale-webhook-signature']!, /^t=1614265330,v1=[0-9a-f]{64}$/);
    assert.equal(headers['webhook-id'], 'msg_1');
    assert.equal(verifyTailscaleSignature(headers['tailscale-webhook-signature'], body, secret, { now }), true);
    assert.equal(verifyStandardWebhook(headers, body, whsec, { now }), true);
  });

  it('rejects a tampered body, a wrong secret and a stale timestamp', () => {
    const secret = generateWebhookSecret();
    const headers = signatureHeaders({ id: 'msg_1', timestamp: 1_614_265_330, body: 'a', secrets: [secret] });
    const tailscale = headers['tailscale-webhook-signature'];
    assert.equal(verifyTailscaleSignature(tailscale, 'b', secret, { now }), false);
    assert.equal(verifyTailscaleSignature(tailscale, 'a', generateWebhookSecret(), { now }), false);
    assert.equal(verifyTailscaleSignature(tailscale, 'a', secret, { now: () => now() + 301_000 }), false);
    assert.equal(verifyStandardWebhook(headers, 'a', toStandardWebhooksSecret(secret), { now: () => now() - 301_000 }), false);
    assert.equal(verifyTailscaleSignature(undefined, 'a', secret, { now }), false);
  });

  it('carries one v1 value per secret during a rotation grace period', () => {
    const [oldSecret, newSecret] = [generateWebhookSecret(), generateWebhookSecret()];
    const headers = signatureHeaders({ id: 'msg_2', timestamp: 1_614_265_330, body: 'x', secrets: [newSecret, oldSecret] });
    assert.equal(headers['tailscale-webhook-signature']!.split(',v1=').length, 3);
    assert.equal(headers['webhook-signature']!.split(' ').length, 2);
    for (const s of [oldSecret, newSecret]) {
      assert.equal(verifyTailscaleSignature(headers['tailscale-webhook-signature'], 'x', s, { now }), true);
      assert.equal(verifyStandardWebhook(headers, 'x', toStandardWebhooksSecret(s), { now }), true);
    }
  });
});
