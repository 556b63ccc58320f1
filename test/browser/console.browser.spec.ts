import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import { Client } from 'pg';
import { TidingsStack, verifyWebhook, waitFor } from '@tidings/testing';
import { emitNodeEvents, kafkaFor } from '../e2e/delivery-helpers';
import { bodyText, checkLabel, clickButton, launchChromium, waitForText, type Browserish } from './console-browser';

/**
 * The console in a real browser (Debian's headless Chromium) against the real stack: what a
 * user does there reaches a real HTTPS receiver, and a portal session sees its tailnet only.
 */
describe('the console, in Chromium', () => {
  let stack: TidingsStack;
  let browser: Browser;
  let page: Page;
  let db: Client;
  const tailnet = 'console.example.com';
  const origin = () => stack.apiUrl;
  const receiverBase = () => stack.receiverUrl.replace(/\/webhook$/, '');

  before(async () => {
    // Retries a second apart, two of them: a failing endpoint is dead-lettered (and disabled) within seconds.
    stack = await TidingsStack.create('console', { RETRY_SCHEDULE: '1s*2' });
    await stack.start();
    db = new Client({ connectionString: stack.env.DATABASE_URL });
    await db.connect();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await db?.end();
    await stack?.stop();
  });

  const freshPage = async (width = 1200) => {
    page = await browser.newPage();
    await page.setViewport({ width, height: 900 });
    return page;
  };

  it('creates a webhook, shows its secret once, and its test event reaches the receiver with both signatures valid', async () => {
    const key = await stack.apiKey(tailnet, 'ui@console.example.com');
    const served = await fetch(`${origin()}/console`);
    assert.match(served.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'self';.*frame-ancestors 'none'$/, 'nothing from elsewhere, and no framing unless configured');
    await freshPage();
    await page.goto(`${origin()}/console`);
    await page.type('#token', key);
    await clickButton(page, 'Sign in');
    await clickButton(page, 'Add endpoint');
    await page.type('#endpoint-url', `${receiverBase()}/console-created`);
    await checkLabel(page, 'nodeCreated');
    await page.click('form button[type=submit]');
    await waitForText(page, 'Copy the secret now');
    const secret = await page.$eval('#secret-secret', (e) => (e as unknown as { value: string }).value);
    const whsec = await page.$eval('#secret-whsec', (e) => (e as unknown as { value: string }).value);
    assert.match(secret, /^tskey-webhook-/);
    assert.match(whsec, /^whsec_/);
    await clickButton(page, 'I have copied it');
    assert.ok(!(await bodyText(page)).includes(secret.slice(-12)), 'the secret is gone from the page');

    await clickButton(page, 'Send test event');
    const received = await waitFor('the test event at the receiver', () => stack.receiver.received.find((w) => w.path === '/console-created'), 30_000);
    const verified = verifyWebhook(received, secret, whsec);
    assert.ok(verified.tailscaleSignatureValid && verified.standardSignatureValid, 'both signatures verify with the secrets the console showed');
    // A domain event's batch shows in the deliveries view, which refreshes by itself.
    const producer = kafkaFor(stack).producer();
    await producer.connect();
    await emitNodeEvents(stack, producer, tailnet, ['ui-laptop']).finally(() => producer.disconnect());
    const batch = await waitFor('the event at the receiver', () => stack.receiver.received.find((w) => w.path === '/console-created' && w.body.includes('ui-laptop')), 30_000);
    await waitForText(page, String(batch.headers['webhook-id']));
    assert.match(await page.$eval(`tr[data-batch="${String(batch.headers['webhook-id'])}"]`, (e) => (e as unknown as { innerText: string }).innerText), /delivered/);
  });

  it('rotates: the new secret shown once, and the notice signed with the old one arrives', async () => {
    const key = await stack.apiKey(tailnet, 'ui@console.example.com');
    const created = (await stack.api('POST', `/api/v2/tailnet/${tailnet}/webhooks`, key, { endpointUrl: `${receiverBase()}/console-rotate`, subscriptions: ['nodeCreated'] })).body as { secret: string; standardWebhooksSecret: string };
    await freshPage();
    await page.goto(`${origin()}/console`);
    await page.type('#token', key);
    await clickButton(page, 'Sign in');
    await clickButton(page, `${receiverBase()}/console-rotate`);
    await page.$eval('#grace', (e) => ((e as unknown as { value: string }).value = ''));
    await page.type('#grace', '0');
    await clickButton(page, 'Rotate secret');
    await waitForText(page, 'Copy the secret now');
    const rotated = await page.$eval('#secret-secret', (e) => (e as unknown as { value: string }).value);
    assert.match(rotated, /^tskey-webhook-/);
    assert.notEqual(rotated, created.secret);
    const notice = await waitFor('webhookSecretRotated at the receiver', () => stack.receiver.received.find((w) => w.path === '/console-rotate' && w.body.includes('webhookSecretRotated')), 30_000);
    const verified = verifyWebhook(notice, created.secret, created.standardWebhooksSecret);
    assert.ok(verified.tailscaleSignatureValid && verified.standardSignatureValid, 'the receiver still holds the old secret: the notice is signed with it');
  });

  it('shows a failing endpoint\'s dead letter, and replays it from the console under the same webhook-id', async () => {
    const key = await stack.apiKey(tailnet, 'ui@console.example.com');
    const path = '/console-failing';
    const created = (await stack.api('POST', `/api/v2/tailnet/${tailnet}/webhooks`, key, { endpointUrl: `${receiverBase()}${path}`, subscriptions: ['nodeCreated'] })).body as { endpointId: string };
    stack.receiver.answers.set(path, { status: 503 });
    const producer = kafkaFor(stack).producer();
    await producer.connect();
    await emitNodeEvents(stack, producer, tailnet, ['dead-letter-laptop']).finally(() => producer.disconnect());
    await waitFor('the endpoint disabled after its retries', async () => ((await stack.api('GET', `/api/v2/webhooks/${created.endpointId}`, key)).body as { status: string }).status === 'disabled', 30_000);
    const failedIds = new Set(stack.receiver.received.filter((w) => w.path === path && w.body.includes('dead-letter-laptop')).map((w) => String(w.headers['webhook-id'])));
    assert.equal(failedIds.size, 1, 'one batch, tried three times');
    stack.receiver.answers.set(path, { status: 200 });

    await freshPage();
    await page.goto(`${origin()}/console`);
    await page.type('#token', key);
    await clickButton(page, 'Sign in');
    await clickButton(page, `${receiverBase()}${path}`);
    await waitForText(page, 'deadLettered');
    await checkLabel(page, 'redeliver what was dead-lettered'); // on by default: off, to replay by hand
    await clickButton(page, 'Enable');
    await clickButton(page, 'Replay');
    await waitForText(page, 'is on its way again');
    const replayed = await waitFor('the replayed batch at the receiver', () => stack.receiver.received.find((w) => w.path === path && w.status === 200 && w.body.includes('dead-letter-laptop')), 30_000);
    assert.ok(failedIds.has(String(replayed.headers['webhook-id'])), 'the same webhook-id as the attempts that failed');
  });

  it('disables (the endpoint is told) and deletes, each visible in the console', async () => {
    const key = await stack.apiKey(tailnet, 'ui@console.example.com');
    const created = (await stack.api('POST', `/api/v2/tailnet/${tailnet}/webhooks`, key, { endpointUrl: `${receiverBase()}/console-life`, subscriptions: ['nodeCreated'] })).body as { endpointId: string };
    await freshPage();
    await page.goto(`${origin()}/console`);
    await page.type('#token', key);
    await clickButton(page, 'Sign in');
    await clickButton(page, `${receiverBase()}/console-life`);
    await clickButton(page, 'Disable');
    await waitForText(page, 'disabled in the console');
    await waitFor('webhookDisabled at the receiver', () => stack.receiver.received.some((w) => w.path === '/console-life' && w.body.includes('webhookDisabled')), 30_000);
    await clickButton(page, 'Delete');
    await clickButton(page, 'Confirm delete');
    await waitForText(page, 'Add endpoint');
    assert.equal((await stack.api('GET', `/api/v2/webhooks/${created.endpointId}`, key)).status, 404);
    assert.ok(!(await bodyText(page)).includes('/console-life'));
  });

  it('opens a portal session from the URL fragment: its tailnet only, the token out of the URL, and signed out at expiry', async () => {
    const platformKey = await stack.apiKey('customer-a.example.com', 'platform@example.com');
    const otherKey = await stack.apiKey('customer-b.example.com', 'platform@example.com');
    await stack.api('POST', '/api/v2/tailnet/-/webhooks', platformKey, { endpointUrl: `${receiverBase()}/a-hook/withapathtoolongforaphonescreen0123456789`, subscriptions: ['nodeCreated'] });
    await stack.api('POST', '/api/v2/tailnet/-/webhooks', otherKey, { endpointUrl: `${receiverBase()}/b-hook`, subscriptions: ['nodeCreated'] });
    const session = (await stack.api('POST', '/api/v2/tailnet/-/portal-sessions', platformKey, { ttlSeconds: 600 })).body as { id: string; token: string };

    await freshPage(375);
    await page.goto(`${origin()}/console#session=${session.token}`);
    await waitForText(page, '/a-hook');
    const text = await bodyText(page);
    assert.ok(!text.includes('/b-hook'), "another tailnet's webhook is not shown");
    assert.equal(await page.evaluate(() => (globalThis as unknown as Browserish).location.hash), '', 'the token left the URL');
    const fits = () => page.evaluate(() => (globalThis as unknown as Browserish).document.documentElement.scrollWidth <= 375);
    assert.ok(await fits(), 'usable at 375 px: no sideways scrolling in the list');
    await clickButton(page, `${receiverBase()}/a-hook/withapathtoolongforaphonescreen0123456789`);
    await waitForText(page, 'Deliveries');
    assert.ok(await fits(), 'nor on a webhook with a long URL');

    await db.query("UPDATE portal_sessions SET expires_at = now() - interval '1 second' WHERE id = $1", [session.id]);
    await page.reload();
    await waitForText(page, 'API key or portal session token');
  });
});
