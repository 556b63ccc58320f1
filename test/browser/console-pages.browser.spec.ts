import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import { EVENT_TYPES, exampleEvent } from '@tidings/contracts';
import { TidingsStack, waitFor, type ReceivedWebhook } from '@tidings/testing';
import { emitNodeEvents, kafkaFor } from '../e2e/delivery-helpers';
import { bodyText, checkLabel, clickButton, launchChromium, screenshot, seriousViolations, waitForText, type Browserish } from './console-browser';

const MARKUP = '<img src=x onerror=alert(1)>';

const platformPage = (src: string) => `<!doctype html><title>A platform</title><iframe title="Webhooks" src="${src.replace(/"/g, '&quot;')}" width="1000" height="700"></iframe>`;

/**
 * The console's pages in a real browser against the real stack: what a customer's event carries
 * shows as text, editing and enabling reach the receiver, and every page passes axe-core in the
 * light and dark schemes, with screenshots at 1280 and 375 px.
 */
describe('the console pages, in Chromium', () => {
  let stack: TidingsStack;
  let browser: Browser;
  let key: string;
  let platform: Server;
  let platformOrigin: string;
  let otherOrigin: string;
  const tailnet = 'pages.example.com';
  const receiverBase = () => stack.receiverUrl.replace(/\/webhook$/, '');
  const received = (path: string, text: string) => (w: ReceivedWebhook) => w.path === path && w.body.includes(text);

  before(async () => {
    // The platform's own page, which embeds the console for its customer (see the iframe test).
    platform = createServer((req, res) => {
      const src = new URL(req.url ?? '/', 'http://platform').searchParams.get('src');
      if (src) res.writeHead(200, { 'content-type': 'text/html' }).end(platformPage(src));
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => platform.listen(0, '127.0.0.1', resolve));
    const platformPort = (platform.address() as AddressInfo).port;
    platformOrigin = `http://127.0.0.1:${platformPort}`;
    otherOrigin = `http://localhost:${platformPort}`; // the same server under another name: another origin
    // Retries a second apart, two of them: a failing endpoint is dead-lettered (and disabled) within seconds.
    stack = await TidingsStack.create('console-pages', { RETRY_SCHEDULE: '1s*2', CONSOLE_FRAME_ANCESTORS: platformOrigin });
    await stack.start();
    browser = await launchChromium();
    key = await stack.apiKey(tailnet, 'pages@pages.example.com');
  });
  after(async () => {
    platform?.close();
    await browser?.close();
    await stack?.stop();
  });

  const createHook = async (path: string, subscriptions = ['nodeCreated']) => {
    const res = await stack.api('POST', `/api/v2/tailnet/${tailnet}/webhooks`, key, { endpointUrl: `${receiverBase()}${path}`, subscriptions });
    assert.equal(res.status, 200);
    return res.body as { endpointId: string };
  };
  const emit = async (devices: string[]) => {
    const producer = kafkaFor(stack).producer();
    await producer.connect();
    await emitNodeEvents(stack, producer, tailnet, devices).finally(() => producer.disconnect());
  };
  /** A page signed in with the API key, on the webhook whose URL ends in `path` if given. */
  const signedIn = async (path?: string, options: { bypassCsp?: boolean } = {}): Promise<Page> => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    if (options.bypassCsp) await page.setBypassCSP(true); // axe is a script the console's policy refuses
    await page.goto(`${stack.apiUrl}/console`);
    await page.type('#token', key);
    await clickButton(page, 'Sign in');
    await waitForText(page, 'Add endpoint');
    if (path) await clickButton(page, `${receiverBase()}${path}`);
    return page;
  };

  it("shows markup in an event's data as text, in the batch's events, never as markup", async () => {
    await createHook('/pages-markup');
    await emit([MARKUP]);
    const batch = await waitFor('the event at the receiver', () => stack.receiver.received.find(received('/pages-markup', 'onerror')), 30_000);
    const page = await signedIn('/pages-markup');
    const dialogs: string[] = [];
    page.on('dialog', (d) => void (dialogs.push(d.message()), d.dismiss()));
    const batchId = String(batch.headers['webhook-id']);
    await clickButton(page, batchId);
    await waitForText(page, `Node ${MARKUP} (n-${MARKUP}) was created`);
    assert.ok((await bodyText(page)).includes(`"deviceName": "${MARKUP}"`), 'the event body shows the device name as it was sent');
    assert.equal(await page.$$eval('img', (imgs) => imgs.length), 0, 'no element was made from it');
    assert.deepEqual(dialogs, [], 'and no script ran');
    const text = await bodyText(page);
    assert.ok(text.includes(`webhook-id\n${batchId}`), 'the headers of the request show');
    assert.ok(!/tskey-webhook-|whsec_/.test(text), 'never a secret');
    assert.ok(!text.includes('x-tidings-'), 'nor a header meant for the egress alone');
  });

  it('edits subscriptions (saved, shown, and the endpoint is told) and the rate limit', async () => {
    const hook = await createHook('/pages-edit');
    const page = await signedIn('/pages-edit');
    await checkLabel(page, 'nodeCreated');
    await checkLabel(page, 'nodeDeleted');
    await clickButton(page, 'Save subscriptions');
    await waitForText(page, 'Subscriptions saved.');
    const saved = (await stack.api('GET', `/api/v2/webhooks/${hook.endpointId}`, key)).body as { subscriptions: string[] };
    assert.deepEqual(saved.subscriptions, ['nodeDeleted']);
    await waitFor('webhookUpdated at the receiver', () => stack.receiver.received.find(received('/pages-edit', 'webhookUpdated')), 30_000);

    await page.$eval('#rate-requests', (e) => ((e as unknown as { value: string }).value = ''));
    await page.type('#rate-requests', '5');
    await page.$eval('#rate-seconds', (e) => ((e as unknown as { value: string }).value = ''));
    await page.type('#rate-seconds', '60');
    await clickButton(page, 'Save rate limit');
    await waitForText(page, 'Rate limit in force: 5 requests per 60 s');
    const limited = (await stack.api('GET', `/api/v2/webhooks/${hook.endpointId}`, key)).body as { rateLimit: unknown };
    assert.deepEqual(limited.rateLimit, { requests: 5, perSeconds: 60 });
    await clickButton(page, 'Use the provider default');
    await waitForText(page, 'Rate limit in force: none');
    assert.equal(((await stack.api('GET', `/api/v2/webhooks/${hook.endpointId}`, key)).body as { rateLimit: unknown }).rateLimit, null, 'a native endpoint has no default limit');

    await page.reload();
    await waitForText(page, 'Add endpoint');
    assert.match(await page.$eval(`::-p-xpath(//tr[.//button[normalize-space(.)=${JSON.stringify(`${receiverBase()}/pages-edit`)}]])`, (e) => (e as unknown as { innerText: string }).innerText), /nodeDeleted/);
  });

  it('enables a dead-lettered endpoint with redelivery: what was dead-lettered arrives again, same webhook-id, without a replay', async () => {
    const path = '/pages-redeliver';
    const hook = await createHook(path);
    stack.receiver.answers.set(path, { status: 503 });
    await emit(['redeliver-laptop']);
    await waitFor('the endpoint disabled after its retries', async () => ((await stack.api('GET', `/api/v2/webhooks/${hook.endpointId}`, key)).body as { status: string }).status === 'disabled', 30_000);
    const failedId = String(stack.receiver.received.find(received(path, 'redeliver-laptop'))!.headers['webhook-id']);
    stack.receiver.answers.set(path, { status: 200 });

    const page = await signedIn(path);
    await waitForText(page, 'deadLettered');
    await clickButton(page, 'Enable'); // "redeliver what was dead-lettered" is on by default
    // Enabled again ("failing" until an attempt delivers): the button now offers to disable it.
    await page.waitForSelector('::-p-xpath(//button[normalize-space(.)="Disable"])', { timeout: 10_000 });
    const redelivered = await waitFor('the dead letter delivered', () => stack.receiver.received.find((w) => received(path, 'redeliver-laptop')(w) && w.status === 200), 30_000);
    assert.equal(String(redelivered.headers['webhook-id']), failedId);
    await waitFor('the deliveries view to show it delivered', async () => /delivered/.test(await page.$eval(`tr[data-batch="${failedId}"]`, (e) => (e as unknown as { innerText: string }).innerText)), 15_000);
  });

  it('passes axe-core on every page in light and dark, fits 375 px, and writes screenshots at 1280 and 375 px', async () => {
    await createHook('/pages-tour');
    await emit(['tour-laptop']);
    const batch = await waitFor('the event at the receiver', () => stack.receiver.received.find(received('/pages-tour', 'tour-laptop')), 30_000);
    const page = await browser.newPage();
    await page.setBypassCSP(true);
    await page.goto(`${stack.apiUrl}/console`);
    const pages: [string, () => Promise<void>][] = [
      ['sign-in', async () => waitForText(page, 'API key or portal session token')],
      ['webhooks', async () => (await page.type('#token', key), await clickButton(page, 'Sign in'), await waitForText(page, '/pages-tour'))],
      ['create', async () => (await clickButton(page, 'Add endpoint'), await waitForText(page, 'Endpoint URL'))],
      ['webhook', async () => (await clickButton(page, 'Webhooks'), await clickButton(page, `${receiverBase()}/pages-tour`), await waitForText(page, 'Deliveries'))],
      ['batch', async () => (await clickButton(page, String(batch.headers['webhook-id'])), await waitForText(page, 'tour-laptop'))],
      ['catalogue', async () => (await clickButton(page, 'Event catalogue'), await waitForText(page, 'exitNodeIPForwardingNotEnabled'))],
    ];
    for (const [name, open] of pages) {
      await open();
      for (const scheme of ['light', 'dark'] as const) {
        for (const width of [1280, 375]) {
          const file = await screenshot(page, name, width, scheme);
          assert.ok(existsSync(file), file);
          if (width === 375) {
            const fits = await page.evaluate(() => (globalThis as unknown as Browserish).document.documentElement.scrollWidth <= 375);
            assert.ok(fits, `${name} fits 375 px without sideways scrolling`);
          }
        }
        const violations = await seriousViolations(page);
        assert.deepEqual(violations, [], `${name} (${scheme}): ${violations.join(', ')}`);
      }
      await page.setViewport({ width: 1280, height: 900 });
    }
    const catalogue = await bodyText(page);
    const missing = EVENT_TYPES.filter((type) => !catalogue.includes(exampleEvent(type as 'test').message));
    assert.deepEqual(missing, [], 'the catalogue lists every event type with its sentence');
  });

  it('can be embedded by the origin CONSOLE_FRAME_ANCESTORS names, with a portal session, and by no other', async () => {
    await createHook('/pages-embedded');
    const session = (await stack.api('POST', `/api/v2/tailnet/${tailnet}/portal-sessions`, key, { ttlSeconds: 600 })).body as { token: string };
    const src = `${stack.apiUrl}/console#session=${session.token}`;
    const embedded = async (origin: string) => {
      const page = await browser.newPage();
      await page.goto(`${origin}/?src=${encodeURIComponent(src)}`, { waitUntil: 'load' }); // the frame's load included
      return page.frames().find((f) => f !== page.mainFrame())!;
    };
    const allowed = await embedded(platformOrigin);
    await allowed.waitForFunction(() => (globalThis as unknown as Browserish).document.body.innerText.includes('/pages-embedded'), { timeout: 15_000 });
    const refused = await embedded(otherOrigin);
    assert.ok(!refused.url().startsWith(stack.apiUrl), `another origin gets no console in its frame (${refused.url()})`);
    const shown = await refused.evaluate(() => (globalThis as unknown as Browserish).document.body?.innerText ?? '').catch(() => '');
    assert.ok(!shown.includes('/pages-embedded'));
  });
});
