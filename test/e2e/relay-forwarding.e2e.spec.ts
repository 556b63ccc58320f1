import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import type { RelayBucketView, RelayInputView } from '@tidings/contracts';
import { TidingsStack, waitFor } from '@tidings/testing';

const GITHUB_SECRET = 'gh-forwarding-secret-7';

/**
 * A relay input's accepted requests reach its outputs through the publisher's delivery engine
 * and the egress, on the real stack: answered before any output answers, forwarded byte for
 * byte with the sender's method, query, content type and headers (not the relay's credentials),
 * each output in its own order with the webhooks' retries and dead letters.
 */
describe('relay forwarding', () => {
  let stack: TidingsStack;
  let key: string;
  let db: Client;
  const base = () => stack.receiverUrl.replace(/\/webhook$/, '');

  before(async () => {
    // Retries a second apart, two of them: a failing output is dead-lettered within seconds.
    stack = await TidingsStack.create('relay-fwd', { RETRY_SCHEDULE: '1s*2' });
    await stack.start('egress', 'subscriptions', 'trigger', 'publisher', 'relay');
    key = await stack.apiKey('fwd.example.com', 'ops@fwd.example.com');
    db = new Client({ connectionString: stack.env.DATABASE_URL });
    await db.connect();
  });
  after(async () => {
    await db?.end();
    await stack?.stop();
  });

  const inputFor = async (bucket: Record<string, unknown>, outputs: string[]): Promise<RelayInputView> => {
    const created = (await stack.api('POST', '/api/v2/tailnet/-/relay-buckets', key, { answer: { status: 202, body: 'queued', contentType: 'text/plain' }, ...bucket })).body as RelayBucketView;
    const res = await stack.api('POST', `/api/v2/relay-buckets/${created.bucketId}/inputs`, key, { methods: ['POST', 'PUT'], outputs: outputs.map((path) => ({ url: `${base()}${path}` })) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const input = res.body as RelayInputView;
    // A GET is not taken (401) once the relay knows the input; an unknown input answers 200.
    await waitFor('the relay to know the input', async () => (await fetch(`${stack.relayUrl}${input.path}`)).status === 401, 15_000);
    return input;
  };
  const signed = (body: string) => `sha256=${createHmac('sha256', GITHUB_SECRET).update(body).digest('hex')}`;

  it('forwards a GitHub-signed request byte for byte, answered before the output answers', async () => {
    const input = await inputFor({ name: 'github', auth: { token: { header: 'X-Relay-Token', value: 'relay-token-0123456789' }, signature: { scheme: 'github', secret: GITHUB_SECRET } } }, ['/relay-out']);
    stack.receiver.answers.set('/relay-out?ref=main', { status: 200, delayMs: 1_500 });
    const body = Buffer.from('{"action":"opened","bytes":"\u00e9\u2603"}\n');
    const sentAt = Date.now();
    const res = await fetch(`${stack.relayUrl}${input.path}?ref=main`, {
      method: 'PUT',
      body,
      headers: { 'content-type': 'application/vnd.github+json', 'x-github-event': 'push', 'x-relay-token': 'relay-token-0123456789', 'x-hub-signature-256': signed(body.toString()), 'x-tidings-tls': 'false' },
    });
    const answeredAt = Date.now();
    assert.equal(res.status, 202);
    const requestId = res.headers.get('x-tidings-relay-id')!;
    const arrived = await waitFor('the request at its output', () => stack.receiver.received.find((w) => w.path === '/relay-out?ref=main'), 30_000);
    assert.ok(answeredAt - sentAt < 1_500, `answered in ${answeredAt - sentAt} ms, without waiting for the output's 1.5 s`);
    assert.equal(arrived.method, 'PUT');
    assert.ok(arrived.rawBody.equals(body), 'byte for byte');
    assert.equal(arrived.headers['content-type'], 'application/vnd.github+json');
    assert.equal(arrived.headers['x-github-event'], 'push');
    assert.equal(arrived.headers['x-hub-signature-256'], signed(body.toString()), "the sender's signature, for the target to check again");
    assert.equal(arrived.headers['x-tidings-relay-id'], requestId);
    assert.match(String(arrived.headers['x-forwarded-for']), /^(127\.0\.0\.1|::1)$/);
    assert.equal(arrived.headers['x-relay-token'], undefined, "the relay's credential stays with the relay");
    assert.equal(arrived.headers['webhook-signature'], undefined, 'not signed by Tidings');
  });

  it('fans out to three outputs: two get it at once, the failing one on the schedule, then it is dead-lettered', async () => {
    const input = await inputFor({ name: 'fan-out' }, ['/fan-a', '/fan-b', '/fan-down']);
    stack.receiver.answers.set('/fan-down', { status: 503 });
    const res = await fetch(`${stack.relayUrl}${input.path}`, { method: 'POST', body: '{"fan":"out"}', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 202);
    const requestId = res.headers.get('x-tidings-relay-id')!;
    for (const path of ['/fan-a', '/fan-b']) {
      const got = await waitFor(`the request at ${path}`, () => stack.receiver.received.find((w) => w.path === path), 30_000);
      assert.equal(got.headers['x-tidings-relay-id'], requestId);
    }
    const down = input.outputs.find((o) => o.url.endsWith('/fan-down'))!;
    await waitFor('the failing output dead-lettered after its retries', async () => (await db.query('SELECT 1 FROM dead_letters WHERE endpoint_id = $1', [down.outputId])).rowCount === 1, 30_000);
    const tries = stack.receiver.received.filter((w) => w.path === '/fan-down');
    assert.equal(tries.length, 3, 'the first try and two retries');
    assert.ok(tries.every((w) => w.headers['x-tidings-relay-id'] === requestId && w.body === '{"fan":"out"}'), 'the same request each time');
    const gaps = tries.slice(1).map((w, i) => w.receivedAt.getTime() - tries[i]!.receivedAt.getTime());
    assert.ok(gaps.every((g) => g >= 900), `a second apart, as scheduled: ${gaps.join(', ')} ms`);
    const attempts = await db.query('SELECT attempt, status FROM delivery_attempts WHERE endpoint_id = $1 ORDER BY attempted_at', [down.outputId]);
    assert.deepEqual(attempts.rows.map((r: { attempt: number; status: number }) => [r.attempt, r.status]), [[1, 503], [2, 503], [3, 503]]);
    const requests = await db.query('SELECT count(*)::int AS n FROM delivery_requests WHERE endpoint_id = $1', [down.outputId]);
    assert.equal(requests.rows[0].n, 0, "a relayed request's headers are not recorded in the clear");
  });

  it('disables an output whose retries ran out, and after Enable, replays its dead letter under the same relay id, in order', async () => {
    const input = await inputFor({ name: 'replay' }, ['/replay-down']);
    const output = input.outputs[0]!;
    const outputPath = `/api/v2/relay-buckets/${input.bucketId}/inputs/${input.inputId}/outputs/${output.outputId}`;
    stack.receiver.answers.set('/replay-down', { status: 503 });
    const first = await fetch(`${stack.relayUrl}${input.path}`, { method: 'POST', body: 'first', headers: { 'content-type': 'text/plain' } });
    const firstId = first.headers.get('x-tidings-relay-id')!;
    const outputStatus = async () => ((await stack.api('GET', `/api/v2/relay-buckets/${input.bucketId}`, key)).body as RelayBucketView).inputs[0]!.outputs[0]!;
    await waitFor('the output disabled after its retries', async () => (await outputStatus()).status === 'disabled', 30_000);
    assert.match((await outputStatus()).disabledReason ?? '', /503/);

    // While it is disabled, what reaches it is dead-lettered at once, never sent.
    const second = await fetch(`${stack.relayUrl}${input.path}`, { method: 'POST', body: 'second', headers: { 'content-type': 'text/plain' } });
    const secondId = second.headers.get('x-tidings-relay-id')!;
    type Delivery = { batchId: string; state: string; eventIds: string[]; deadLetter: { cause: string } | null };
    const deliveries = async () => ((await stack.api('GET', `${outputPath}/deliveries`, key)).body as { deliveries: Delivery[] }).deliveries;
    await waitFor('both dead-lettered', async () => (await deliveries()).filter((d) => d.state === 'deadLettered').length === 2, 30_000);
    const byRequest = new Map((await deliveries()).map((d) => [d.eventIds[0], d]));
    assert.equal(byRequest.get(firstId)?.deadLetter?.cause, 'exhausted');
    assert.equal(byRequest.get(secondId)?.deadLetter?.cause, 'endpointDisabled');
    assert.equal(stack.receiver.received.filter((w) => w.path === '/replay-down' && w.body === 'second').length, 0, 'never sent while disabled');
    assert.equal((await stack.api('POST', `${outputPath}/deliveries/${byRequest.get(firstId)!.batchId}/replay`, key)).status, 409, 'no replay while disabled');

    stack.receiver.answers.set('/replay-down', { status: 200 });
    const enabled = await stack.api('POST', `${outputPath}/enable`, key, { redeliverDeadLetters: true });
    assert.deepEqual(enabled.body, { status: 'enabled', redelivered: 2 });
    const delivered = await waitFor('both delivered', () => {
      const ok = stack.receiver.received.filter((w) => w.path === '/replay-down' && w.status === 200);
      return ok.length === 2 && ok;
    }, 30_000);
    assert.deepEqual(delivered.map((w) => [w.body, w.headers['x-tidings-relay-id']]), [['first', firstId], ['second', secondId]], 'in order, each under its own relay id');

    const other = await stack.apiKey('other.example.com', 'mallory@other.example.com');
    assert.equal((await stack.api('GET', `${outputPath}/deliveries`, other)).status, 404, "another tailnet's output is a 404");
  });

  it("waits for a one-output input's destination: its 2xx is the answer and it is delivered once; a failure or a timeout is delivered later", async () => {
    const bucket = (await stack.api('POST', '/api/v2/tailnet/-/relay-buckets', key, { name: 'waiting', answer: { status: 202, body: 'queued', contentType: 'text/plain' } })).body as RelayBucketView;
    const waiting = async (path: string, waitForDestinationMs: number) => {
      const res = await stack.api('POST', `/api/v2/relay-buckets/${bucket.bucketId}/inputs`, key, { outputs: [{ url: `${base()}${path}` }], waitForDestinationMs });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const input = res.body as RelayInputView & { waitForDestinationMs: number };
      assert.equal(input.waitForDestinationMs, waitForDestinationMs);
      await waitFor('the relay to know the input', async () => (await fetch(`${stack.relayUrl}${input.path}`)).status === 401, 15_000);
      return input;
    };
    const two = await stack.api('POST', `/api/v2/relay-buckets/${bucket.bucketId}/inputs`, key, { outputs: [{ url: `${base()}/a` }, { url: `${base()}/b` }], waitForDestinationMs: 1000 });
    assert.equal(two.status, 400, 'one answer needs one output');
    const post = (input: RelayInputView, body: string) => fetch(`${stack.relayUrl}${input.path}`, { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
    const arrivals = (path: string) => stack.receiver.received.filter((w) => w.path === path);

    stack.receiver.answers.set('/wait-ok', { status: 201, headers: { 'x-destination': 'yes' } });
    const ok = await post(await waiting('/wait-ok', 5_000), 'answer me');
    assert.deepEqual([ok.status, ok.headers.get('content-type'), await ok.text()], [201, 'application/json', '{"ok":true}'], "the destination's own answer");
    assert.equal(arrivals('/wait-ok')[0]?.headers['x-tidings-relay-id'], ok.headers.get('x-tidings-relay-id'));

    stack.receiver.answers.set('/wait-fail', { status: 503 });
    const failed = await post(await waiting('/wait-fail', 5_000), 'retry me');
    assert.deepEqual([failed.status, await failed.text()], [202, 'queued'], 'not delivered: the static answer, and delivered later');
    stack.receiver.answers.set('/wait-fail', { status: 200 });
    const later = await waitFor('the failed one delivered by the publisher', () => arrivals('/wait-fail').find((w) => w.status === 200), 30_000);
    assert.equal(later.headers['x-tidings-relay-id'], failed.headers.get('x-tidings-relay-id'));

    stack.receiver.answers.set('/wait-slow', { status: 200, delayMs: 2_000 });
    const sentAt = Date.now();
    const slow = await post(await waiting('/wait-slow', 300), 'too slow');
    assert.equal(slow.status, 202);
    assert.ok(Date.now() - sentAt < 1_500, 'answered at the time limit, not when the destination answered');
    await waitFor('the slow one delivered again by the publisher', () => arrivals('/wait-slow').length === 2, 30_000);
    assert.ok(arrivals('/wait-slow').every((w) => w.headers['x-tidings-relay-id'] === slow.headers.get('x-tidings-relay-id')), 'at least once, under one relay id');

    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal(arrivals('/wait-ok').length, 1, 'the delivered one is not routed again');
  });
});
