import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Producer } from 'kafkajs';
import { type TidingsStack, verifyWebhook, waitFor, type ReceivedWebhook } from '@tidings/testing';
import { emitNodeEvents, startStackAndProducer, stopStackAndProducer, requestsTo } from './delivery-helpers';

interface ChatEndpoint {
  endpointId: string;
  secret: string;
  standardWebhooksSecret: string;
  providerType: string;
  path: string;
}

type DiscordBody = { content: string; embeds: { title: string; description: string }[]; allowed_mentions: { parse: string[] } };

/**
 * Chat destinations through the whole stack: an endpoint's providerType picks the body, a batch
 * becomes as few messages as the provider's cap allows, in order, and every request is still
 * signed. The receiver on loopback stands in for the provider (its host is not Discord's, so
 * the provider is asked for explicitly; detection by host is in the API's tests).
 */
describe('chat destinations', () => {
  let stack: TidingsStack;
  let producer: Producer;
  let key: string;
  const tailnet = 'chat.example.com';

  const create = async (path: string, providerType: string, more: { rateLimit?: { requests: number; perSeconds: number } } = {}): Promise<ChatEndpoint> => {
    const res = await stack.api('POST', `/api/v2/tailnet/${tailnet}/webhooks`, key, { endpointUrl: `${stack.receiverUrl.replace(/\/webhook$/, '')}${path}`, providerType, subscriptions: ['nodeCreated'], ...more });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return { ...(res.body as Omit<ChatEndpoint, 'path'>), path };
  };
  const signed = (w: ReceivedWebhook, e: ChatEndpoint) => {
    const v = verifyWebhook(w, e.secret, e.standardWebhooksSecret);
    return v.tailscaleSignatureValid && v.standardSignatureValid;
  };

  before(async () => {
    ({ stack, producer } = await startStackAndProducer('chat'));
    key = await stack.apiKey(tailnet);
  });
  after(async () => {
    await stopStackAndProducer(stack, producer);
  });

  it('sends a test event to Discord and to ntfy in their formats, signed', async () => {
    const discord = await create('/discord-test', 'discord');
    const ntfy = await create('/ntfy-test', 'ntfy');
    for (const e of [discord, ntfy]) assert.equal((await stack.api('POST', `/api/v2/webhooks/${e.endpointId}/test`, key)).status, 202);
    const [d] = await waitFor('the Discord test message', () => requestsTo(stack, discord.path).length > 0 && requestsTo(stack, discord.path));
    const body = JSON.parse(d!.body) as DiscordBody;
    assert.equal(d!.headers['content-type'], 'application/json');
    assert.equal(body.content, 'An event in tailnet chat\\.example\\.com');
    assert.equal(body.embeds[0]!.title, 'test');
    assert.deepEqual(body.allowed_mentions, { parse: [] });
    assert.ok(signed(d!, discord), 'signed as native deliveries are');

    const [n] = await waitFor('the ntfy test message', () => requestsTo(stack, ntfy.path).length > 0 && requestsTo(stack, ntfy.path));
    assert.equal(n!.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(n!.headers.title, 'test in chat.example.com');
    assert.equal(n!.body, 'test: This is a test event');
    assert.ok(signed(n!, ntfy));
  });

  it('splits a burst into messages of at most ten embeds for Discord, every event once and in order, customer text inert', async () => {
    const discord = await create('/discord-burst', 'discord');
    const native = await create('/native-burst', '');
    stack.receiver.answers.set(discord.path, { status: 200, delayMs: 300 });
    const devices = Array.from({ length: 25 }, (_, i) => (i === 3 ? 'evil<b>*x*</b>@here](http://x)' : `dev${i}`));
    const produced = await emitNodeEvents(stack, producer, tailnet, devices);
    const bodies = await waitFor('all 25 events at Discord', () => {
      const got = requestsTo(stack, discord.path).map((w) => JSON.parse(w.body) as DiscordBody);
      return got.reduce((n, b) => n + b.embeds.length, 0) >= 25 && got;
    }, 30_000);
    assert.ok(bodies.every((b) => b.embeds.length <= 10), `embeds per message: ${bodies.map((b) => b.embeds.length).join(',')}`);
    assert.ok(bodies.length >= 3, 'at least three messages');
    assert.ok(requestsTo(stack, discord.path).every((w) => signed(w, discord)));
    // The lanes cap a chat endpoint's batch at one message: each message is its own delivery.
    const ids = requestsTo(stack, discord.path).map((w) => String(w.headers['webhook-id']));
    assert.equal(new Set(ids).size, ids.length, `a webhook-id per message: ${ids.join(', ')}`);
    const descriptions = bodies.flatMap((b) => b.embeds.map((e) => e.description));
    assert.equal(descriptions.length, 25, 'each event once');
    const order = devices.map((d) => descriptions.findIndex((text) => text.includes(d === devices[3] ? 'evil\\<b\\>\\*x\\*\\</b\\>@here\\]\\(http://x\\)' : `${d} `)));
    assert.deepEqual(order, devices.map((_, i) => i), `in produced order: ${descriptions.join(' | ')}`);

    const nativeEvents = await waitFor('all 25 at the native endpoint', () => {
      const got = requestsTo(stack, native.path).flatMap((w) => JSON.parse(w.body) as { id: string }[]);
      return got.length >= 25 && got;
    });
    assert.deepEqual(nativeEvents.map((e) => e.id), produced, 'the native endpoint still gets the JSON array');
  });

  it("holds a Slack endpoint to one message a second: a burst becomes few messages, spaced, each event once and in order, while a native endpoint waits for nothing", async () => {
    const slack = await create('/slack-burst', 'slack');
    const native = await create('/native-beside', '');
    const devices = Array.from({ length: 30 }, (_, i) => `s${i}`);
    const started = Date.now();
    const produced = await emitNodeEvents(stack, producer, tailnet, devices);
    const sections = () =>
      requestsTo(stack, slack.path).flatMap((w) => (JSON.parse(w.body) as { blocks: { type: string; text?: { text: string } }[] }).blocks.filter((b) => b.type === 'section').map((b) => b.text!.text));
    await waitFor('all 30 events at Slack', () => sections().length >= 30, 30_000);
    const nativeDone = await waitFor('all 30 at the native endpoint', () => {
      const got = requestsTo(stack, native.path).flatMap((w) => (JSON.parse(w.body) as { id: string }[]).map((e) => e.id));
      return got.length >= 30 && got;
    });
    assert.deepEqual(nativeDone, produced);

    const messages = requestsTo(stack, slack.path);
    assert.ok(messages.length <= 5, `few messages: ${messages.length}`);
    const gaps = messages.slice(1).map((m, i) => m.receivedAt.getTime() - messages[i]!.receivedAt.getTime());
    assert.ok(gaps.every((g) => g >= 900), `none closer than the limit (ms): ${gaps.join(', ')}`);
    assert.deepEqual(sections().map((t) => /Node (s\d+) /.exec(t)![1]), devices, 'each event once, in order');
    const nativeLast = Math.max(...requestsTo(stack, native.path).map((w) => w.receivedAt.getTime()));
    assert.ok(nativeLast - started < messages.at(-1)!.receivedAt.getTime() - started, 'the native endpoint was done before Slack');
  });

  it("holds a native endpoint to its own rate limit: batches grow instead, spaced, each event once and in order", async () => {
    const native = await create('/native-limited', '', { rateLimit: { requests: 1, perSeconds: 2 } });
    const devices = Array.from({ length: 20 }, (_, i) => `n${i}`);
    const produced = await emitNodeEvents(stack, producer, tailnet, devices);
    const ids = () => requestsTo(stack, native.path).flatMap((w) => (JSON.parse(w.body) as { id: string }[]).map((e) => e.id));
    await waitFor('all 20 at the limited endpoint', () => ids().length >= 20, 30_000);
    assert.deepEqual(ids(), produced, 'each event once, in order');
    const posts = requestsTo(stack, native.path);
    assert.ok(posts.length <= 4, `few POSTs: ${posts.length}`);
    const gaps = posts.slice(1).map((m, i) => m.receivedAt.getTime() - posts[i]!.receivedAt.getTime());
    assert.ok(gaps.every((g) => g >= 1_900), `none closer than two seconds (ms): ${gaps.join(', ')}`);
  });

  it("honours a provider's 429 with Retry-After: the next message waits, nothing is lost", async () => {
    const discord = await create('/discord-429', 'discord');
    let refused = 0;
    stack.receiver.answers.set(discord.path, () => (refused++ === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }));
    const devices = ['r0', 'r1', 'r2'];
    await emitNodeEvents(stack, producer, tailnet, devices);
    const descriptions = () => requestsTo(stack, discord.path).slice(1).flatMap((w) => (JSON.parse(w.body) as DiscordBody).embeds.map((e) => e.description));
    await waitFor('all three at Discord after the 429', () => descriptions().length >= 3, 30_000);
    const [first, second] = requestsTo(stack, discord.path);
    assert.ok(second!.receivedAt.getTime() - first!.receivedAt.getTime() >= 2_000, `waited ${second!.receivedAt.getTime() - first!.receivedAt.getTime()} ms`);
    assert.equal(second!.headers['webhook-id'], first!.headers['webhook-id'], 'the refused message is the one sent again');
    assert.deepEqual(descriptions().map((d) => /(r\d) /.exec(d)![1]), devices, 'each event once, in order');
  });
});
