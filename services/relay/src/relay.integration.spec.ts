import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { loadSecretsConfig } from '@tidings/config';
import { relayedRequestSchema, relayRequestRecordSchema, resolveTopicNames, type RelayBucketView, type RelayInputView, type RelayRequestRecord } from '@tidings/contracts';
import { SecretBox } from '@tidings/secret-box';
import { scrapeMetrics, TidingsStack, TopicReader, waitFor } from '@tidings/testing';

const GITHUB_SECRET = 'gh-webhook-secret-0042';
const TOKEN = 'relay-token-0123456789';

/**
 * The relay's public side against the real subscriptions service, Kafka and the relay itself:
 * a request that passes its bucket's checks is in Kafka, sealed, before its answer; one that
 * fails is answered and goes nowhere; an unknown input answers like a known one by default.
 */
describe('relay inputs', () => {
  let stack: TidingsStack;
  let key: string;
  let accepted: TopicReader;
  let box: SecretBox;

  before(async () => {
    stack = await TidingsStack.create('relay-in', { EGRESS_ALLOW_CIDRS: '', RELAY_REQUEST_LOG_RETENTION_HOURS: '1', RELAY_REQUEST_LOG_SWEEP_INTERVAL_MS: '300' });
    await stack.start('subscriptions', 'relay');
    key = await stack.apiKey('relay.example.com', 'ops@relay.example.com');
    const kafka = new Kafka({ clientId: 'relay-in-test', brokers: stack.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
    const topics = resolveTopicNames({ domainEventsTopic: stack.env.DOMAIN_EVENTS_TOPIC!, prefix: stack.env.KAFKA_TOPIC_PREFIX!, retryDelaysMs: [] });
    accepted = await TopicReader.open(kafka, topics.relayRequests);
    box = new SecretBox(loadSecretsConfig(stack.env).keys);
  });
  after(async () => {
    await accepted?.stop();
    await stack?.stop();
  });

  /** A bucket with one input; resolves once the relay knows the input (it answers with the bucket's answer). */
  const inputFor = async (bucket: Record<string, unknown>, input: Record<string, unknown> = {}): Promise<{ bucket: RelayBucketView; input: RelayInputView }> => {
    const created = (await stack.api('POST', '/api/v2/tailnet/-/relay-buckets', key, { answer: { status: 202, body: 'queued', contentType: 'text/plain' }, ...bucket })).body as RelayBucketView;
    const res = await stack.api('POST', `/api/v2/relay-buckets/${created.bucketId}/inputs`, key, { outputs: [{ url: 'https://ci.example.com/hook' }], ...input });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const made = res.body as RelayInputView;
    await waitFor('the relay to know the input', async () => (await fetch(`${stack.relayUrl}${made.path}`, { method: 'OPTIONS' })).status !== 200, 15_000);
    return { bucket: created, input: made };
  };
  const send = (path: string, body: string, headers: Record<string, string>, method = 'POST') => fetch(`${stack.relayUrl}${path}`, { method, headers, body });
  const github = (body: string) => ({ 'x-hub-signature-256': `sha256=${createHmac('sha256', GITHUB_SECRET).update(body).digest('hex')}` });
  const recordsOf = (inputId: string) => accepted.records.filter((r) => r.key?.toString() === inputId).map((r) => relayRequestRecordSchema.parse(JSON.parse(r.value!.toString())) as RelayRequestRecord);

  it('stores a GitHub-signed request sealed before answering, byte for byte with its content type, without the credentials', async () => {
    const { input, bucket } = await inputFor({ name: 'github', auth: { token: { header: 'X-Relay-Token', value: TOKEN }, sourceCidrs: ['127.0.0.0/8', '::1/128'], signature: { scheme: 'github', secret: GITHUB_SECRET } } });
    const body = '{"action":"opened","marker":"relay-marker-7f3a","emoji":"\u2603"}';
    const res = await send(`${input.path}?ref=main&marker=relay-marker-7f3a`, body, { 'content-type': 'application/vnd.github+json; charset=utf-8', 'x-relay-token': TOKEN, 'x-github-event': 'push', ...github(body) });
    assert.equal(res.status, 202);
    assert.equal(await res.text(), 'queued');
    const requestId = res.headers.get('x-tidings-relay-id');
    assert.ok(requestId, 'the answer names the stored request');

    // Durable before the answer: the record is already readable.
    await accepted.sync();
    const [record] = recordsOf(input.inputId);
    assert.ok(record, 'in Kafka when the caller got its answer');
    assert.deepEqual([record.requestId, record.bucketId, record.tailnet, record.method, record.size, record.ephemeral], [requestId, bucket.bucketId, 'relay.example.com', 'POST', Buffer.byteLength(body), false]);
    assert.ok(!accepted.records.some((r) => r.value!.toString().includes('relay-marker-7f3a')), 'nothing of it in clear in Kafka');
    const relayed = relayedRequestSchema.parse(JSON.parse(box.open(record.request, record.requestId)));
    assert.equal(Buffer.from(relayed.body, 'base64').toString('utf8'), body, 'byte for byte');
    assert.equal(relayed.headers['content-type'], 'application/vnd.github+json; charset=utf-8');
    assert.equal(relayed.headers['x-github-event'], 'push');
    assert.equal(relayed.headers['x-relay-token'], undefined, "the bucket's token stays here");
    assert.equal(relayed.query, 'ref=main&marker=relay-marker-7f3a');
    assert.match(relayed.clientAddress, /^(127\.0\.0\.1|::1)$/);
  });

  it('forwards nothing for a bad signature, a wrong token, a wrong password, a source outside the CIDRs or a method not allowed', async () => {
    const body = '{"n":1}';
    const signed = await inputFor({ name: 'signed', auth: { token: { header: 'X-Relay-Token', value: TOKEN }, signature: { scheme: 'github', secret: GITHUB_SECRET } } });
    const basic = await inputFor({ name: 'basic', auth: { basic: { username: 'hooks', password: 'correct horse' } } });
    const elsewhere = await inputFor({ name: 'cidr', auth: { sourceCidrs: ['192.0.2.0/24'] } });
    const cases: [string, Response][] = [
      ['bad signature', await send(signed.input.path, body, { 'x-relay-token': TOKEN, ...github('{"n":2}') })],
      ['wrong token', await send(signed.input.path, body, { 'x-relay-token': `${TOKEN}x`, ...github(body) })],
      ['no token', await send(signed.input.path, body, github(body))],
      ['wrong password', await send(basic.input.path, body, { authorization: `Basic ${Buffer.from('hooks:wrong horse').toString('base64')}` })],
      ['source outside', await send(elsewhere.input.path, body, {})],
      ['method not allowed', await send(elsewhere.input.path, body, {}, 'PUT')],
    ];
    for (const [what, res] of cases) assert.equal(res.status, 401, what);
    const ok = await send(basic.input.path, body, { authorization: `Basic ${Buffer.from('hooks:correct horse').toString('base64')}` });
    assert.equal(ok.status, 202, 'the right password passes');
    await accepted.sync();
    assert.equal(recordsOf(signed.input.inputId).length + recordsOf(elsewhere.input.inputId).length, 0, 'nothing stored for what failed');
    assert.equal(recordsOf(basic.input.inputId).length, 1);
  });

  it("answers a failed check with the bucket's static answer when it says so, and still stores nothing", async () => {
    const { input } = await inputFor({ name: 'quiet', auth: { sourceCidrs: ['192.0.2.0/24'], onFailure: 'staticAnswer' } });
    const res = await send(input.path, '{}', {});
    assert.deepEqual([res.status, await res.text(), res.headers.get('x-tidings-relay-id')], [202, 'queued', null]);
    await accepted.sync();
    assert.equal(recordsOf(input.inputId).length, 0);
  });

  it('answers an unknown input exactly as a known one answers by default', async () => {
    const { input } = await inputFor({ name: 'default', answer: undefined });
    const known = await send(input.path, '{"a":1}', { 'content-type': 'application/json' });
    const unknown = await send('/in/6f1c1b0e-0000-4000-8000-000000000000', '{"a":1}', { 'content-type': 'application/json' });
    const notUuid = await send('/in/nope', '{"a":1}', { 'content-type': 'application/json' });
    const shape = async (r: Response) => [r.status, r.headers.get('content-type'), await r.text(), [...r.headers.keys()].filter((h) => !['date', 'x-tidings-relay-id', 'etag'].includes(h)).sort()];
    const expected = await shape(known);
    assert.deepEqual(await shape(unknown), expected);
    assert.deepEqual(await shape(notUuid), expected);
    assert.equal(expected[0], 200);
  });

  it('refuses a body over its limit with 413 and stores nothing', async () => {
    const { input } = await inputFor({ name: 'small' }, { bodyLimitBytes: 1024 });
    assert.equal((await send(input.path, 'x'.repeat(1024), {})).status, 202);
    assert.equal((await send(input.path, 'x'.repeat(1025), {})).status, 413);
    await accepted.sync();
    assert.deepEqual(recordsOf(input.inputId).map((r) => r.size), [1024]);
    const metrics = await scrapeMetrics(stack.metricsUrl('relay'));
    assert.ok((metrics.sum('tidings_relay_requests_total', { outcome: 'tooLarge', status: '413' }) ?? 0) >= 1);
    assert.ok((metrics.sum('tidings_relay_requests_total', { outcome: 'accepted', status: '202' }) ?? 0) >= 1);
  });

  it('limits an input to its rate: past it, 429 with Retry-After before any check, and nothing stored', async () => {
    const { input } = await inputFor({ name: 'limited', auth: { signature: { scheme: 'github', secret: GITHUB_SECRET } } }, { rateLimit: { requests: 2, perSeconds: 60 } });
    // inputFor's probe spent one token.
    const body = '{"n":1}';
    assert.equal((await send(input.path, body, github(body))).status, 202);
    const limited = await send(input.path, body, github(body));
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1, 'says when to come back');
    assert.equal((await send(input.path, body, { 'x-hub-signature-256': 'sha256=00' })).status, 429, 'before the signature is even checked');
    await accepted.sync();
    assert.equal(recordsOf(input.inputId).length, 1);
  });

  it("logs each accepted request: a normal bucket's content sealed and opened through the API, an ephemeral's not at all, each gone after the retention", async () => {
    const normal = await inputFor({ name: 'logged' });
    const ephemeral = await inputFor({ name: 'fleeting', ephemeral: true });
    const send2 = (input: RelayInputView, body: string) => send(`${input.path}?run=7`, body, { 'content-type': 'text/plain', 'x-sender': 'ci' });
    const kept = await send2(normal.input, 'log me');
    const fleeting = await send2(ephemeral.input, 'forget me');
    const requests = (b: { bucket: RelayBucketView; input: RelayInputView }) => `/api/v2/relay-buckets/${b.bucket.bucketId}/inputs/${b.input.inputId}/requests`;
    type Logged = { requestId: string; method: string; size: number; ephemeral: boolean; request?: { body: string; query: string; headers: Record<string, string> } | null };
    const list = async (b: { bucket: RelayBucketView; input: RelayInputView }) => ((await stack.api('GET', requests(b), key)).body as { requests: Logged[] }).requests;
    const keptId = kept.headers.get('x-tidings-relay-id')!;
    await waitFor('both logged', async () => (await list(normal)).some((r) => r.requestId === keptId) && (await list(ephemeral)).length > 0, 15_000);
    const one = (await stack.api('GET', `${requests(normal)}/${keptId}`, key)).body as Logged;
    assert.deepEqual([one.method, one.size, one.ephemeral, Buffer.from(one.request!.body, 'base64').toString(), one.request!.query, one.request!.headers['x-sender']], ['POST', 6, false, 'log me', 'run=7', 'ci']);
    const fleetingId = fleeting.headers.get('x-tidings-relay-id')!;
    const gone = (await stack.api('GET', `${requests(ephemeral)}/${fleetingId}`, key)).body as Logged;
    assert.deepEqual([gone.method, gone.size, gone.ephemeral, gone.request], ['POST', 9, true, null], 'method, size and time only');
    const other = await stack.apiKey('other.example.com', 'mallory@other.example.com');
    assert.equal((await stack.api('GET', requests(normal), other)).status, 404);

    const db = new Client({ connectionString: stack.env.DATABASE_URL });
    await db.connect();
    try {
      const stored = JSON.stringify((await db.query('SELECT * FROM relay_requests')).rows);
      assert.ok(!stored.includes('log me') && !stored.includes('forget me') && !stored.includes('run=7'), 'nothing in clear');
      await db.query("UPDATE relay_requests SET received_at = now() - interval '2 hours' WHERE request_id = $1", [keptId]);
    } finally {
      await db.end();
    }
    await waitFor('the old request swept', async () => (await stack.api('GET', `${requests(normal)}/${keptId}`, key)).status === 404, 10_000);
    assert.equal((await stack.api('GET', `${requests(ephemeral)}/${fleetingId}`, key)).status, 200, 'a recent one stays');
  });
});
