import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { assertProblem, TidingsStack } from '@tidings/testing';

type Session = { id: string; tailnet: string; loginName: string; expiresAt: string; token?: string };

/** Portal sessions over HTTP against the real service and Postgres: scope, expiry, revocation. */
describe('portal sessions', () => {
  let stack: TidingsStack;
  let db: Client;
  let key: string;
  let otherKey: string;
  const tailnet = 'portal.example.com';
  const url = 'https://hooks.example.com/portal';

  before(async () => {
    stack = await TidingsStack.create('portal', { EGRESS_ALLOW_CIDRS: '' });
    await stack.start('subscriptions');
    key = await stack.apiKey(tailnet, 'platform@portal.example.com');
    otherKey = await stack.apiKey('other.example.com', 'mallory@other.example.com');
    db = new Client({ connectionString: stack.env.DATABASE_URL });
    await db.connect();
  });
  after(async () => {
    await db?.end();
    await stack?.stop();
  });

  const mint = async (body?: unknown, k = key): Promise<Session> => {
    const res = await stack.api('POST', `/api/v2/tailnet/${tailnet}/portal-sessions`, k, body);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as Session;
  };

  it("manages its tailnet's webhooks as the customer it names, and no other tailnet's", async () => {
    const before = Date.now();
    const session = await mint({ ttlSeconds: 600, loginName: 'carol@customer.example' });
    assert.match(session.token!, /^tskey-portal-ps[0-9a-f]{16}-[A-Za-z0-9_-]{43}$/);
    assert.equal(session.tailnet, tailnet);
    assert.ok(Math.abs(Date.parse(session.expiresAt) - (before + 600_000)) < 5_000, session.expiresAt);

    const created = await stack.api('POST', `/api/v2/tailnet/-/webhooks`, session.token!, { endpointUrl: url, subscriptions: ['nodeCreated'] });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const { endpointId, creatorLoginName } = created.body as { endpointId: string; creatorLoginName: string };
    assert.equal(creatorLoginName, 'carol@customer.example', 'the actor is the customer the session names');

    const theirs = (await stack.api('POST', '/api/v2/tailnet/-/webhooks', otherKey, { endpointUrl: url, subscriptions: ['nodeCreated'] })).body as { endpointId: string };
    assertProblem(await stack.api('GET', `/api/v2/webhooks/${theirs.endpointId}`, session.token!), 404);
    assertProblem(await stack.api('GET', '/api/v2/tailnet/other.example.com/webhooks', session.token!), 404);
    assert.equal((await stack.api('GET', `/api/v2/webhooks/${endpointId}`, session.token!)).status, 200);

    const { rows } = await db.query<{ token_hash: Buffer }>('SELECT token_hash FROM portal_sessions WHERE id = $1', [session.id]);
    assert.equal(rows[0]!.token_hash.length, 32, 'only a SHA-256 of the token is stored');
    const dump = JSON.stringify((await db.query('SELECT * FROM portal_sessions')).rows);
    assert.ok(!dump.includes(session.token!.split('-').slice(3).join('-')), 'the token is nowhere in the table');
  });

  it('never manages portal sessions: minting and revoking take an API key', async () => {
    const session = await mint();
    assertProblem(await stack.api('POST', `/api/v2/tailnet/${tailnet}/portal-sessions`, session.token!, {}), 403);
    assertProblem(await stack.api('DELETE', `/api/v2/tailnet/${tailnet}/portal-sessions/${session.id}`, session.token!), 403);
    assertProblem(await stack.api('POST', '/api/v2/tailnet/other.example.com/portal-sessions', key, {}), 404);
  });

  it('stops working when revoked, and another tailnet cannot revoke it', async () => {
    const session = await mint();
    assert.equal((await stack.api('GET', `/api/v2/tailnet/${tailnet}/webhooks`, session.token!)).status, 200);
    assertProblem(await stack.api('DELETE', `/api/v2/tailnet/-/portal-sessions/${session.id}`, otherKey), 404);
    assert.equal((await stack.api('GET', `/api/v2/tailnet/${tailnet}/webhooks`, session.token!)).status, 200, 'still valid');
    assert.equal((await stack.api('DELETE', `/api/v2/tailnet/${tailnet}/portal-sessions/${session.id}`, key)).status, 200);
    assertProblem(await stack.api('GET', `/api/v2/tailnet/${tailnet}/webhooks`, session.token!), 401, undefined, /portal session/);
    assert.equal((await stack.api('DELETE', `/api/v2/tailnet/${tailnet}/portal-sessions/${session.id}`, key)).status, 200, 'revoking twice is no error');
    assertProblem(await stack.api('DELETE', `/api/v2/tailnet/${tailnet}/portal-sessions/ps0000000000000000`, key), 404);
  });

  it('stops working at its expiry', async () => {
    const session = await mint({ ttlSeconds: 60 });
    assert.equal((await stack.api('GET', `/api/v2/tailnet/${tailnet}/webhooks`, session.token!)).status, 200);
    // The API compares with the database's rows, so moving the expiry into the past is the clock passing it.
    await db.query("UPDATE portal_sessions SET expires_at = now() - interval '1 second' WHERE id = $1", [session.id]);
    assertProblem(await stack.api('GET', `/api/v2/tailnet/${tailnet}/webhooks`, session.token!), 401, undefined, /expired/);
  });

  it('refuses a bad lifetime or login name with 400 naming the field', async () => {
    const post = (body: unknown) => stack.api('POST', `/api/v2/tailnet/${tailnet}/portal-sessions`, key, body);
    assertProblem(await post({ ttlSeconds: 59 }), 400, 'ttlSeconds', /at least 60/);
    assertProblem(await post({ ttlSeconds: 86_401 }), 400, 'ttlSeconds', /at most 86400/);
    assertProblem(await post({ loginName: 'a\nb' }), 400, 'loginName', /control/);
    assert.equal((await mint()).loginName.startsWith('portal:ps'), true, 'a default actor names the session');
  });
});
