import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import type { BucketAuth, SenderSignature } from '@tidings/contracts';
import { signatureHeaders } from '@tidings/webhook-signing';
import { CallerCheck } from './caller-check';
import { checkSenderSignature } from './sender-signature';
import { slowHash, slowHashMatches } from './slow-hash';
import { CidrList, clientAddress } from './source-address';

const NOW = Date.UTC(2026, 10, 30, 9, 0);
const T = Math.floor(NOW / 1000);
const body = Buffer.from('{"action":"opened","n":1}');
const sealedDummy = { keyId: 'k', iv: 'aQ==', ciphertext: 'aQ==', tag: 'aQ==' };
const sig = (scheme: SenderSignature['scheme'], hmac: SenderSignature['hmac'] = null): SenderSignature => ({ scheme, secret: sealedDummy, toleranceSeconds: 300, hmac });
const hex = (key: string, ...parts: (string | Buffer)[]) => parts.reduce((h, p) => h.update(p), createHmac('sha256', key)).digest('hex');

describe('slowHash', () => {
  it('stores argon2id with a fresh salt, and matches only its own secret', async () => {
    const a = await slowHash('s3cret');
    assert.match(a, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.notEqual(a, await slowHash('s3cret'), 'salted');
    assert.equal(await slowHashMatches('s3cret', a), true);
    assert.equal(await slowHashMatches('s3cret ', a), false);
    assert.equal(await slowHashMatches('s3cret', 'plain s3cret'), false, 'a malformed hash matches nothing');
  });
});

describe('checkSenderSignature', () => {
  it('GitHub: X-Hub-Signature-256 over the raw body', () => {
    const good = { 'x-hub-signature-256': `sha256=${hex('gh', body)}` };
    assert.deepEqual(checkSenderSignature(sig('github'), 'gh', { headers: good, body }, NOW), { ok: true });
    assert.equal(checkSenderSignature(sig('github'), 'other', { headers: good, body }, NOW).ok, false);
    assert.equal(checkSenderSignature(sig('github'), 'gh', { headers: good, body: Buffer.from('{"action":"opened","n":2}') }, NOW).ok, false);
    assert.equal(checkSenderSignature(sig('github'), 'gh', { headers: {}, body }, NOW).ok, false);
  });

  it('Stripe: t and v1 over "<t>.<body>", within the tolerance', () => {
    const header = (t: number) => ({ 'stripe-signature': `t=${t},v1=${hex('whsec_stripe', `${t}.`, body)},v0=ignored` });
    assert.equal(checkSenderSignature(sig('stripe'), 'whsec_stripe', { headers: header(T - 100), body }, NOW).ok, true);
    assert.deepEqual(checkSenderSignature(sig('stripe'), 'whsec_stripe', { headers: header(T - 301), body }, NOW), { ok: false, reason: 'Stripe-Signature is outside the tolerance' });
    assert.equal(checkSenderSignature(sig('stripe'), 'other', { headers: header(T), body }, NOW).ok, false);
  });

  it('Tailscale and Standard Webhooks: the recipes Tidings signs with', () => {
    const whsec = `whsec_${Buffer.from('k'.repeat(32)).toString('base64')}`;
    const tailscale = signatureHeaders({ id: 'msg_1', timestamp: T, body, secrets: ['tskey-webhook-x'] });
    assert.equal(checkSenderSignature(sig('tailscale'), 'tskey-webhook-x', { headers: tailscale, body }, NOW).ok, true);
    assert.equal(checkSenderSignature(sig('tailscale'), 'tskey-webhook-y', { headers: tailscale, body }, NOW).ok, false);
    const standard = signatureHeaders({ id: 'msg_1', timestamp: T, body, secrets: ['k'.repeat(32)] });
    assert.equal(checkSenderSignature(sig('standardWebhooks'), whsec, { headers: standard, body }, NOW).ok, true);
    assert.equal(checkSenderSignature(sig('standardWebhooks'), whsec, { headers: standard, body }, NOW + 301_000).ok, false, 'stale');
  });

  it('generic HMAC: the header, algorithm, encoding and prefix the bucket names', () => {
    const spec = { header: 'X-Signature', algorithm: 'sha512' as const, encoding: 'base64' as const, prefix: 'sha512=' };
    const value = `sha512=${createHmac('sha512', 'k').update(body).digest('base64')}`;
    assert.equal(checkSenderSignature(sig('hmac', spec), 'k', { headers: { 'x-signature': value }, body }, NOW).ok, true);
    assert.equal(checkSenderSignature(sig('hmac', { ...spec, encoding: 'hex' }), 'k', { headers: { 'x-signature': value }, body }, NOW).ok, false);
  });
});

describe('clientAddress', () => {
  const proxies = new CidrList(['10.0.0.0/8', 'fd00::/8']);
  it('believes X-Forwarded-For only through trusted proxies', () => {
    assert.equal(clientAddress('203.0.113.9', '198.51.100.1', proxies), '203.0.113.9', 'an untrusted peer cannot claim another address');
    assert.equal(clientAddress('10.1.2.3', '198.51.100.1', proxies), '198.51.100.1');
    assert.equal(clientAddress('10.1.2.3', '192.0.2.77, 198.51.100.1, 10.9.9.9', proxies), '198.51.100.1', 'the first untrusted hop from the right');
    assert.equal(clientAddress('::ffff:10.1.2.3', '2001:db8::5', proxies), '2001:db8::5', 'a mapped IPv4 peer is IPv4');
    assert.equal(clientAddress('10.1.2.3', 'garbage', proxies), '10.1.2.3');
    assert.equal(clientAddress('10.1.2.3', '198.51.100.1', new CidrList([])), '10.1.2.3', 'no trusted proxies: the socket');
  });
});

describe('CallerCheck', () => {
  const open = () => 'gh';
  const none: BucketAuth = { basic: null, token: null, sourceCidrs: [], signature: null, onFailure: 'reject' };
  const request = (headers: Record<string, string>, clientAddress = '198.51.100.7') => ({ headers, body, clientAddress });

  it('passes every check the bucket makes, and names the first that fails', async () => {
    const auth: BucketAuth = {
      basic: { username: 'hooks', passwordHash: await slowHash('pw') },
      token: { header: 'X-Relay-Token', tokenHash: await slowHash('tok') },
      sourceCidrs: ['198.51.100.0/24', '2001:db8::/32'],
      signature: sig('github'),
      onFailure: 'reject',
    };
    const check = new CallerCheck();
    const good = { authorization: `Basic ${Buffer.from('hooks:pw').toString('base64')}`, 'x-relay-token': 'tok', 'x-hub-signature-256': `sha256=${hex('gh', body)}` };
    assert.deepEqual(await check.check(auth, request(good), open), { ok: true });
    assert.deepEqual(await check.check(auth, request(good), open), { ok: true }, 'again, from the proven credentials');
    assert.match((await check.check(auth, request(good, '192.0.2.1'), open) as { reason: string }).reason, /outside the bucket's CIDRs/);
    assert.match((await check.check(auth, request({ ...good, authorization: `Basic ${Buffer.from('hooks:nope').toString('base64')}` }), open) as { reason: string }).reason, /basic/);
    assert.match((await check.check(auth, request({ ...good, 'x-relay-token': 'nope' }), open) as { reason: string }).reason, /X-Relay-Token/);
    assert.match((await check.check(auth, request({ ...good, 'x-hub-signature-256': 'sha256=00' }), open) as { reason: string }).reason, /X-Hub-Signature-256/);
    assert.deepEqual(await check.check(none, request({}), open), { ok: true }, 'a bucket without checks takes anyone');
  });

  it('checks a credential once for requests that bring it at the same time, and a wrong one every time', async () => {
    const auth: BucketAuth = { ...none, token: { header: 'X-Relay-Token', tokenHash: await slowHash('tok') } };
    const runs: string[] = [];
    const check = new CallerCheck((secret, stored) => {
      runs.push(secret);
      return slowHashMatches(secret, stored);
    });
    const results = await Promise.all(Array.from({ length: 32 }, () => check.check(auth, request({ 'x-relay-token': 'tok' }), open)));
    assert.ok(results.every((r) => r.ok));
    assert.deepEqual(runs, ['tok'], 'one argon2id run for 32 requests in flight');
    const wrong = await Promise.all([1, 2].map(() => check.check(auth, request({ 'x-relay-token': 'nope' }), open)));
    assert.ok(wrong.every((r) => !r.ok));
    assert.equal((await check.check(auth, request({ 'x-relay-token': 'nope' }), open)).ok, false);
    assert.deepEqual(runs, ['tok', 'nope', 'nope'], 'a wrong token is never remembered as proven');
  });
});
