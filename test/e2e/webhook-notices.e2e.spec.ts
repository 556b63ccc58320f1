import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TidingsStack, verifyWebhook, waitFor, type ReceivedWebhook } from '@tidings/testing';
import { verifyTailscaleSignature } from '@tidings/webhook-signing';

type Webhook = { endpointId: string; secret: string; standardWebhooksSecret: string };
type Event = { type: string; tailnet: string; message: string; data: Record<string, string> };

/**
 * "Always tell when you stop telling": each change to an endpoint reaches that endpoint (and the
 * tailnet's other endpoints subscribed to it) as a signed webhook* notice, through the real
 * publisher, egress and an HTTPS receiver.
 */
describe('webhook* notices and test events', () => {
  let stack: TidingsStack;
  let key: string;
  let a: Webhook;
  let watcher: Webhook;
  const tailnet = 'notices.example.com';

  before(async () => {
    stack = await TidingsStack.create('notices');
    await stack.start();
    key = await stack.apiKey(tailnet, 'ops@notices.example.com');
    const create = async (path: string, subscriptions: string[]) =>
      (await stack.api('POST', `/api/v2/tailnet/${tailnet}/webhooks`, key, { endpointUrl: `https://localhost:${stack.receiverPort}${path}`, subscriptions })).body as Webhook;
    a = await create('/a', ['nodeCreated']);
    watcher = await create('/watcher', ['categoryWebhookManagement']);
  });

  after(async () => {
    await stack?.stop();
  });

  /** The next webhook at `path` carrying an event of `type`. */
  function next(path: string, type: string): Promise<ReceivedWebhook & { event: Event }> {
    const seen = new Set(stack.receiver.received);
    return waitFor(`${type} at ${path}`, () => {
      for (const w of stack.receiver.received) {
        if (seen.has(w) || w.path !== path) continue;
        const event = (JSON.parse(w.body) as Event[]).find((e) => e.type === type);
        if (event) return { ...w, event };
      }
      return undefined;
    }, 30_000);
  }

  const validFor = (w: ReceivedWebhook, hook: Webhook) => {
    const v = verifyWebhook(w, hook.secret, hook.standardWebhooksSecret);
    return v.tailscaleSignatureValid && v.standardSignatureValid;
  };

  it('sends a test event at once, signed', async () => {
    const arriving = next('/a', 'test');
    assert.equal((await stack.api('POST', `/api/v2/webhooks/${a.endpointId}/test`, key)).status, 202);
    const w = await arriving;
    assert.equal(validFor(w, a), true);
    assert.equal(w.event.message, 'This is a test event');
  });

  it('tells the endpoint and the tailnet\'s watchers when subscriptions change', async () => {
    const toA = next('/a', 'webhookUpdated');
    const toWatcher = next('/watcher', 'webhookUpdated');
    assert.equal((await stack.api('PATCH', `/api/v2/webhooks/${a.endpointId}`, key, { subscriptions: ['nodeDeleted'] })).status, 200);
    const [wa, ww] = await Promise.all([toA, toWatcher]);
    assert.equal(validFor(wa, a), true, 'signed with the endpoint\'s own secret');
    assert.equal(validFor(ww, watcher), true, 'signed with the watcher\'s own secret');
    assert.equal(wa.event.data.endpointId, a.endpointId);
    assert.equal(wa.event.data.newSubscriptions, 'nodeDeleted');
    assert.equal(wa.event.data.actor, 'ops@notices.example.com');
  });

  it('signs webhookSecretRotated with the old secret, and the new one during the grace period', async () => {
    const arriving = next('/a', 'webhookSecretRotated');
    const rotated = (await stack.api('POST', `/api/v2/webhooks/${a.endpointId}/rotate`, key, { gracePeriodSeconds: 600 })).body as Webhook;
    const w = await arriving;
    assert.equal(validFor(w, a), true, 'the old secret, which the receiver holds, verifies it');
    assert.equal(validFor(w, rotated), true, 'the new secret verifies it too during the grace period');
    const header = String(w.headers['tailscale-webhook-signature']);
    assert.equal(header.split(',v1=').length, 3);

    const later = next('/a', 'webhookSecretRotated');
    const rotatedAgain = (await stack.api('POST', `/api/v2/webhooks/${a.endpointId}/rotate`, key, {})).body as Webhook;
    const w2 = await later;
    assert.equal(verifyTailscaleSignature(String(w2.headers['tailscale-webhook-signature']), w2.body, rotated.secret), true, 'signed with the secret it replaces');
    assert.equal(verifyTailscaleSignature(String(w2.headers['tailscale-webhook-signature']), w2.body, rotatedAgain.secret), false, 'no grace period: the new secret does not sign it');
    a = rotatedAgain;
  });

  it('tells an endpoint it was disabled, and tells it last when deleted', async () => {
    const disabled = next('/a', 'webhookDisabled');
    await stack.api('POST', `/api/v2/webhooks/${a.endpointId}/disable`, key, { reason: 'maintenance' });
    const wd = await disabled;
    assert.equal(validFor(wd, a), true);
    assert.equal(wd.event.data.reason, 'maintenance');

    const deleted = next('/a', 'webhookDeleted');
    const watcherTold = next('/watcher', 'webhookDeleted');
    assert.equal((await stack.api('DELETE', `/api/v2/webhooks/${a.endpointId}`, key)).status, 200);
    const [w, ww] = await Promise.all([deleted, watcherTold]);
    assert.equal(validFor(w, a), true, 'a deleted endpoint is still told, with the secret it holds');
    assert.equal(validFor(ww, watcher), true);
    assert.match(w.event.message, new RegExp(`Webhook ${a.endpointId} was deleted by ops@notices.example.com`));
  });
});
