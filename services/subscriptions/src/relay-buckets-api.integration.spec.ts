import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { relayConfigEventSchema, resolveTopicNames, type RelayBucketView, type RelayConfigEvent, type RelayInputView } from '@tidings/contracts';
import { assertProblem, TidingsStack, TopicReader } from '@tidings/testing';

/**
 * The relay's buckets and inputs over HTTP against the real service, PostgreSQL and Kafka:
 * each change a config event with its actor; passwords and tokens only as argon2id hashes,
 * signing secrets sealed; output URLs judged like webhook URLs; another tailnet's a 404.
 */
describe('relay buckets API', () => {
  let stack: TidingsStack;
  let db: Client;
  let key: string;
  let otherKey: string;
  let config: TopicReader;
  const tailnet = 'relay.example.com';
  const password = 'correct horse battery';
  const token = 'tok-0123456789abcdef';
  const signingSecret = 'github-shared-secret-42';

  before(async () => {
    stack = await TidingsStack.create('relay-api', { EGRESS_ALLOW_CIDRS: '' });
    await stack.start('subscriptions');
    key = await stack.apiKey(tailnet, 'ops@relay.example.com');
    otherKey = await stack.apiKey('other.example.com', 'mallory@other.example.com');
    db = new Client({ connectionString: stack.env.DATABASE_URL });
    await db.connect();
    const kafka = new Kafka({ clientId: 'relay-api-test', brokers: stack.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
    const topics = resolveTopicNames({ domainEventsTopic: stack.env.DOMAIN_EVENTS_TOPIC!, prefix: stack.env.KAFKA_TOPIC_PREFIX!, retryDelaysMs: [] });
    config = await TopicReader.open(kafka, topics.relayConfig);
  });
  after(async () => {
    await config?.stop();
    await db?.end();
    await stack?.stop();
  });

  const createBucket = async (body: unknown, k = key): Promise<RelayBucketView> => {
    const res = await stack.api('POST', `/api/v2/tailnet/${tailnet}/relay-buckets`, k, body);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as RelayBucketView;
  };
  const eventsOf = (bucketId: string) => config.records.filter((r) => r.key === bucketId).map((r) => relayConfigEventSchema.parse(JSON.parse(r.value!.toString())) as RelayConfigEvent);

  it('creates a bucket with every check, shows which checks it makes and never a credential, and logs it as a config event', async () => {
    const bucket = await createBucket({
      name: 'github',
      ephemeral: true,
      answer: { status: 202, body: 'queued', contentType: 'text/plain' },
      auth: {
        basic: { username: 'hooks', password },
        token: { header: 'X-Relay-Token', value: token },
        sourceCidrs: ['192.0.2.0/24', '2001:db8::/32'],
        signature: { scheme: 'github', secret: signingSecret },
        onFailure: 'staticAnswer',
      },
    });
    assert.deepEqual(bucket.auth, {
      basic: { username: 'hooks' },
      token: { header: 'X-Relay-Token' },
      sourceCidrs: ['192.0.2.0/24', '2001:db8::/32'],
      signature: { scheme: 'github', toleranceSeconds: 300, hmac: null },
      onFailure: 'staticAnswer',
    });
    assert.deepEqual([bucket.ephemeral, bucket.answer, bucket.creatorLoginName, bucket.inputs], [true, { status: 202, body: 'queued', contentType: 'text/plain' }, 'ops@relay.example.com', []]);

    const [created] = await config.waitFor('bucketCreated in the relay config log', () => eventsOf(bucket.bucketId).length > 0 && eventsOf(bucket.bucketId));
    assert.equal(created!.type, 'bucketCreated');
    assert.equal(created!.actor, 'ops@relay.example.com');
    if (created!.type !== 'bucketCreated') return;
    assert.match(created.auth.basic!.passwordHash, /^\$argon2id\$v=19\$/);
    assert.match(created.auth.token!.tokenHash, /^\$argon2id\$v=19\$/);
    assert.deepEqual(Object.keys(created.auth.signature!.secret).sort(), ['ciphertext', 'iv', 'keyId', 'tag'], 'the signing secret sealed');

    const everywhere = JSON.stringify([(await db.query('SELECT * FROM relay_events')).rows, (await db.query('SELECT * FROM relay_buckets')).rows, (await db.query('SELECT * FROM outbox')).rows, config.records.map((r) => r.value?.toString())]);
    for (const secret of [password, token, signingSecret]) assert.ok(!everywhere.includes(secret), `${secret} is nowhere in clear`);
  });

  it('adds and removes inputs, each a config event of the bucket in order, and judges output URLs like webhook URLs', async () => {
    const bucket = await createBucket({ name: 'fan-out' });
    const res = await stack.api('POST', `/api/v2/relay-buckets/${bucket.bucketId}/inputs`, key, { methods: ['POST', 'PUT'], outputs: [{ url: 'https://ci.example.com/a' }, { url: 'https://ci.example.com/b' }] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const input = res.body as RelayInputView;
    assert.equal(input.path, `/in/${input.inputId}`);
    assert.deepEqual([input.methods, input.bodyLimitBytes, input.rateLimit, input.outputs.map((o) => o.url)], [['POST', 'PUT'], 1_048_576, null, ['https://ci.example.com/a', 'https://ci.example.com/b']]);
    const limited = (await stack.api('POST', `/api/v2/relay-buckets/${bucket.bucketId}/inputs`, key, { outputs: [{ url: 'https://ci.example.com/a' }], rateLimit: { requests: 5, perSeconds: 60 } })).body as RelayInputView;
    assert.deepEqual(limited.rateLimit, { requests: 5, perSeconds: 60 });
    assert.equal((await stack.api('DELETE', `/api/v2/relay-buckets/${bucket.bucketId}/inputs/${limited.inputId}`, key)).status, 200);
    assert.deepEqual(((await stack.api('GET', `/api/v2/relay-buckets/${bucket.bucketId}`, key)).body as RelayBucketView).inputs, [input]);

    for (const [url, problem] of [['http://ci.example.com/a', /https/], ['https://10.1.2.3/x', /private/], ['https://127.0.0.1/x', /loopback/], ['https://[::ffff:169.254.169.254]/x', /address/]] as const) {
      assertProblem(await stack.api('POST', `/api/v2/relay-buckets/${bucket.bucketId}/inputs`, key, { outputs: [{ url }] }), 400, 'outputs.0.url', problem);
    }
    assertProblem(await stack.api('POST', `/api/v2/relay-buckets/${bucket.bucketId}/inputs`, key, { outputs: [] }), 400, 'outputs');
    assertProblem(await stack.api('POST', `/api/v2/relay-buckets/${bucket.bucketId}/inputs`, key, { methods: ['TRACE'], outputs: [{ url: 'https://ci.example.com/a' }] }), 400, 'methods.0');

    assert.equal((await stack.api('DELETE', `/api/v2/relay-buckets/${bucket.bucketId}/inputs/${input.inputId}`, key)).status, 200);
    assertProblem(await stack.api('DELETE', `/api/v2/relay-buckets/${bucket.bucketId}/inputs/${input.inputId}`, key), 404);
    const events = await config.waitFor('five config events', () => eventsOf(bucket.bucketId).length === 5 && eventsOf(bucket.bucketId));
    assert.deepEqual(events.map((e) => [e.type, e.version]), [['bucketCreated', 1], ['inputCreated', 2], ['inputCreated', 3], ['inputDeleted', 4], ['inputDeleted', 5]]);
  });

  it('refuses bad buckets naming each field', async () => {
    const post = (body: unknown) => stack.api('POST', `/api/v2/tailnet/${tailnet}/relay-buckets`, key, body);
    assertProblem(await post({}), 400, 'name');
    assertProblem(await post({ name: 'x', auth: { sourceCidrs: ['10.0.0.0/33'] } }), 400, 'auth.sourceCidrs.0');
    assertProblem(await post({ name: 'x', auth: { token: { header: 'X-T', value: 'short' } } }), 400, 'auth.token.value');
    assertProblem(await post({ name: 'x', auth: { basic: { username: 'a:b', password: 'long enough' } } }), 400, 'auth.basic.username');
    assertProblem(await post({ name: 'x', auth: { signature: { scheme: 'hmac', secret: 's' } } }), 400, 'auth.signature.hmac');
    assertProblem(await post({ name: 'x', auth: { signature: { scheme: 'paypal', secret: 's' } } }), 400, 'auth.signature.scheme');
    assertProblem(await post({ name: 'x', answer: { status: 302 } }), 400, 'answer.status');
  });

  it("keeps another tailnet's buckets behind 404, and deletes a bucket with its inputs", async () => {
    const bucket = await createBucket({ name: 'private' });
    await stack.api('POST', `/api/v2/relay-buckets/${bucket.bucketId}/inputs`, key, { outputs: [{ url: 'https://ci.example.com/a' }] });
    assertProblem(await stack.api('GET', `/api/v2/relay-buckets/${bucket.bucketId}`, otherKey), 404);
    assertProblem(await stack.api('DELETE', `/api/v2/relay-buckets/${bucket.bucketId}`, otherKey), 404);
    assertProblem(await stack.api('POST', `/api/v2/relay-buckets/${bucket.bucketId}/inputs`, otherKey, { outputs: [{ url: 'https://ci.example.com/a' }] }), 404);
    assert.ok(!((await stack.api('GET', '/api/v2/tailnet/-/relay-buckets', otherKey)).body as { buckets: RelayBucketView[] }).buckets.some((b) => b.bucketId === bucket.bucketId));

    assert.equal((await stack.api('DELETE', `/api/v2/relay-buckets/${bucket.bucketId}`, key)).status, 200);
    assertProblem(await stack.api('GET', `/api/v2/relay-buckets/${bucket.bucketId}`, key), 404);
    assert.equal((await db.query('SELECT count(*)::int AS n FROM relay_inputs WHERE bucket_id = $1', [bucket.bucketId])).rows[0].n, 0);
    const events = await config.waitFor('bucketDeleted', () => eventsOf(bucket.bucketId).length === 3 && eventsOf(bucket.bucketId));
    assert.equal(events.at(-1)!.type, 'bucketDeleted');
  });
});
