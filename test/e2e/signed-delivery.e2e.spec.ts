import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { TidingsStack, verifyWebhook, waitFor, type ReceivedWebhook } from '@tidings/testing';

/**
 * The ground path, real in every hop: a CloudEvent on the domain-events topic, the trigger's
 * payload, the publisher's signed POST, the egress proxy originating TLS, and an HTTPS
 * receiver with a test-CA certificate verifying both signatures.
 */
describe('one signed delivery, end to end', () => {
  let stack: TidingsStack;
  let kafka: Kafka;
  let webhook: { endpointId: string; secret: string; standardWebhooksSecret: string; endpointUrl: string };
  const tailnet = 'e2e.example.com';

  before(async () => {
    stack = await TidingsStack.create('e2e');
    await stack.start();
    kafka = new Kafka({ clientId: 'e2e', brokers: stack.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
  });

  after(async () => {
    await stack?.stop();
  });

  it('mints an API key with the CLI, printing only the key on stdout', async () => {
    const { stdout } = await stack.cli('keys', 'create', '--tailnet', tailnet, '--login', 'admin@e2e.example.com');
    assert.match(stdout, /^tskey-api-k[0-9a-f]{16}-[A-Za-z0-9_-]{43}\n$/);
    const created = await stack.api('POST', `/api/v2/tailnet/${tailnet}/webhooks`, stdout.trim(), {
      endpointUrl: stack.receiverUrl,
      subscriptions: ['categoryTailnetManagement'],
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    webhook = created.body as typeof webhook;
    assert.match(webhook.secret, /^tskey-webhook-/);
    assert.equal(webhook.standardWebhooksSecret, `whsec_${Buffer.from(webhook.secret).toString('base64')}`);
  });

  async function produceAndReceive(messages: { value: string; headers?: Record<string, string> }[], eventId: string): Promise<ReceivedWebhook> {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: stack.env.DOMAIN_EVENTS_TOPIC!, messages: messages.map((m) => ({ key: tailnet, ...m })) });
    await producer.disconnect();
    return waitFor(`webhook for ${eventId}`, () => stack.receiver.received.find((w) => w.body.includes(eventId)), 60_000);
  }

  it('delivers a structured-mode CloudEvent, signed with both schemes, through the egress', async () => {
    const id = randomUUID();
    const event = {
      specversion: '1.0',
      id,
      source: '//control.e2e',
      type: 'nodeNeedsApproval',
      time: new Date().toISOString(),
      tailnet,
      data: { nodeID: 'n123', deviceName: 'laptop', managedBy: 'a@e2e.example.com', actor: 'a@e2e.example.com' },
    };
    const received = await produceAndReceive([{ value: JSON.stringify(event), headers: { 'content-type': 'application/cloudevents+json' } }], id);

    const verified = verifyWebhook(received, webhook.secret, webhook.standardWebhooksSecret);
    assert.equal(verified.tailscaleSignatureValid, true);
    assert.equal(verified.standardSignatureValid, true);
    assert.equal(verifyWebhook(received, `${webhook.secret}x`, webhook.standardWebhooksSecret.replace(/.$/, 'A')).tailscaleSignatureValid, false);
    assert.equal(received.path, '/webhook');
    assert.equal(received.headers['content-type'], 'application/json');
    assert.match(String(received.headers['user-agent']), /^Tidings\/\d+\.\d+\.\d+$/);
    assert.match(String(received.headers['webhook-id']), /^msg_[0-9a-f]{32}$/);
    assert.deepEqual(verified.events, [
      {
        id,
        timestamp: event.time,
        version: 1,
        type: 'nodeNeedsApproval',
        tailnet,
        message: 'Node laptop (n123) needs approval',
        data: { ...event.data, url: 'https://login.tailscale.com/admin/machines/n123' },
      },
    ]);
  });

  it('exposes Prometheus metrics on every service, counting what happened', async () => {
    const scrape = async (name: 'subscriptions' | 'trigger' | 'publisher' | 'egress') => (await fetch(stack.healthUrl(name).replace('/health', '/metrics'))).text();
    const value = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    const [subscriptions, trigger, publisher, egress] = await Promise.all((['subscriptions', 'trigger', 'publisher', 'egress'] as const).map(scrape));
    assert.equal(value(subscriptions!, 'tidings_subscriptions_outbox_pending'), 0);
    assert.ok(value(trigger!, 'tidings_trigger_events_total{outcome="routed"}') >= 1);
    assert.ok(value(trigger!, 'tidings_trigger_payloads_total') >= 1);
    assert.ok(value(publisher!, 'tidings_publisher_deliveries_total{kind="payload",outcome="delivered"}') >= 1);
    assert.match(publisher!, /^tidings_publisher_event_to_delivery_seconds_count\{kind="payload"\} [1-9]/m);
    assert.ok(value(egress!, 'tidings_egress_requests_total{kind="http",outcome="ok",reason_code=""}') >= 1);
    for (const text of [subscriptions, trigger, publisher, egress]) assert.match(text!, /^tidings_\w+_process_cpu_seconds_total /m);
  });

  it('delivers a binary-mode CloudEvent', async () => {
    const id = randomUUID();
    const received = await produceAndReceive(
      [
        {
          value: JSON.stringify({ user: 'u@e2e.example.com', userID: 'u1', actor: 'a@e2e.example.com' }),
          headers: { ce_specversion: '1.0', ce_id: id, ce_source: '//control.e2e', ce_type: 'userCreated', ce_time: new Date().toISOString(), ce_tailnet: tailnet, 'content-type': 'application/json' },
        },
      ],
      id,
    );
    const verified = verifyWebhook(received, webhook.secret, webhook.standardWebhooksSecret);
    assert.equal(verified.tailscaleSignatureValid && verified.standardSignatureValid, true);
    assert.equal((verified.events[0] as { message: string }).message, 'User u@e2e.example.com was created');
  });
});
