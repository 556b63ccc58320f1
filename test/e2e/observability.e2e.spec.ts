import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Producer } from 'kafkajs';
import { OtlpReceiver, repoRoot, scrapeMetrics, type TidingsStack, waitFor, type ReceivedSpan, type ServiceName } from '@tidings/testing';
import { createEndpoint, startStackAndProducer, stopStackAndProducer, requestsTo, type Endpoint } from './delivery-helpers';

/**
 * What operators see, end to end, against the real broker, Postgres, egress and an HTTPS
 * receiver: the spans every service exports (collected by an OTLP receiver on loopback) and the
 * metrics every service serves. The retry schedule is scaled to seconds (RETRY_SCHEDULE=2s*3).
 */
describe('observability: traces across every hop, and the documented metrics', () => {
  const otlp = new OtlpReceiver();
  let stack: TidingsStack;
  let producer: Producer;
  let key: string;
  const tailnet = 'observed.example.com';

  before(async () => {
    const endpoint = await otlp.start();
    ({ stack, producer } = await startStackAndProducer('observe', { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', RETRY_SCHEDULE: '2s*3', BATCH_LINGER_MS: '200' }));
    key = await stack.apiKey(tailnet);
  });

  after(async () => {
    await stopStackAndProducer(stack, producer);
    await otlp.stop();
  });

  /** A domain event as a control plane would produce it, inside a trace of its own. */
  async function emitTraced(): Promise<{ eventId: string; traceId: string; parentSpanId: string }> {
    const eventId = randomUUID();
    const traceId = randomBytes(16).toString('hex');
    const parentSpanId = randomBytes(8).toString('hex');
    const value = { specversion: '1.0', id: eventId, source: '//control.e2e', type: 'nodeCreated', time: new Date().toISOString(), tailnet, data: { nodeID: 'n1', deviceName: 'laptop', managedBy: 'ops@e2e', actor: 'ops@e2e' } };
    await producer.send({ topic: stack.env.DOMAIN_EVENTS_TOPIC!, messages: [{ key: tailnet, value: JSON.stringify(value), headers: { traceparent: `00-${traceId}-${parentSpanId}-01` } }] });
    return { eventId, traceId, parentSpanId };
  }

  /** The egress' request to this endpoint's URL. */
  const isRequestTo = (s: ReceivedSpan, endpoint: Endpoint) =>
    s.service === 'tidings-egress' && s.kind === 'client' && s.attributes['url.full'] === `https://localhost:${stack.receiverPort}${endpoint.path}`;
  const deliveredTo = (endpoint: Endpoint) => requestsTo(stack, endpoint.path).filter((w) => w.status === 200);

  /** Waits until a span matching `where` has been exported, and returns it. */
  async function spanWhere(description: string, where: (s: ReceivedSpan) => boolean): Promise<ReceivedSpan> {
    return waitFor(description, () => otlp.spans.find(where), 20_000);
  }

  /**
   * The delivery chain from the egress' request to the endpoint up to the trace's root, once it
   * is whole: the request's span is exported before its ancestors end (the batch's span ends
   * after the attempt is recorded), so the chain is read again until it reaches the expected
   * length or 20 s pass, and then checked.
   */
  async function expectDeliveryChain(upstream: ReceivedSpan, expected: [service: string, kind: string, name: string | RegExp][]): Promise<ReceivedSpan[]> {
    await waitFor('the delivery chain exported', () => otlp.ancestry(upstream).length >= expected.length, 20_000).catch(() => undefined);
    const chain = otlp.ancestry(upstream);
    const got = chain.map((s) => `${s.service} ${s.kind} ${s.name}`);
    assert.equal(chain.length, expected.length, `span chain:\n  ${got.join('\n  ')}`);
    expected.forEach(([service, kind, name], i) => {
      const s = chain[i]!;
      assert.equal(s.service, service, got[i]);
      assert.equal(s.kind, kind, got[i]);
      if (typeof name === 'string') assert.equal(s.name, name, got[i]);
      else assert.match(s.name, name, got[i]);
    });
    return chain;
  }

  it('one trace runs from the domain event consumed to the endpoint response, per the semantic conventions', async () => {
    const endpoint = await createEndpoint(stack, key, tailnet, '/traced');
    const { eventId, traceId, parentSpanId } = await emitTraced();
    await waitFor('the event delivered', () => deliveredTo(endpoint).some((w) => w.body.includes(eventId)), 20_000);
    const [webhook] = deliveredTo(endpoint);
    const batchId = String(webhook!.headers['webhook-id']);
    for (const header of ['traceparent', 'tracestate', 'baggage']) assert.equal(webhook!.headers[header], undefined, `${header} reached the customer endpoint`);

    const upstream = await spanWhere('the egress request to the endpoint', (s) => s.traceId === traceId && isRequestTo(s, endpoint));
    const payloads = `${stack.env.KAFKA_TOPIC_PREFIX}tidings.webhook-events.v1`;
    const chain = await expectDeliveryChain(upstream, [
      ['tidings-egress', 'client', 'POST'],
      ['tidings-egress', 'server', 'POST'],
      ['tidings-publisher', 'client', 'POST'],
      ['tidings-publisher', 'internal', 'delivery attempt'],
      ['tidings-publisher', 'internal', 'deliver batch'],
      ['tidings-publisher', 'consumer', `process ${payloads}`],
      ['tidings-trigger', 'producer', `create ${payloads}`],
      ['tidings-trigger', 'internal', 'route'],
      ['tidings-trigger', 'consumer', `process ${stack.env.DOMAIN_EVENTS_TOPIC}`],
    ]);
    const [egressClient, egressServer, publisherClient, attempt, batch, payloadConsumed, created, routed, eventConsumed] = chain;
    // The domain event's consumer continues the control plane's trace.
    assert.equal(eventConsumed!.parentSpanId, parentSpanId);
    assert.deepEqual(pick(eventConsumed!.attributes, ['messaging.system', 'messaging.operation.type', 'messaging.destination.name', 'messaging.consumer.group.name', 'tidings.outcome']), {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': stack.env.DOMAIN_EVENTS_TOPIC,
      'messaging.consumer.group.name': `${stack.env.KAFKA_TOPIC_PREFIX}tidings.trigger.v1`,
      'tidings.outcome': 'routed',
    });
    assert.equal(eventConsumed!.attributes['cloudevents.event_id'], eventId);
    assert.equal(routed!.attributes['tidings.endpoint.count'], 1);
    assert.deepEqual(pick(created!.attributes, ['messaging.operation.type', 'messaging.destination.name', 'messaging.batch.message_count']), {
      'messaging.operation.type': 'create',
      'messaging.destination.name': payloads,
      'messaging.batch.message_count': 1,
    });
    assert.equal(payloadConsumed!.attributes['messaging.operation.type'], 'process');
    assert.equal(payloadConsumed!.attributes['tidings.endpoint.id'], endpoint.endpointId);
    assert.deepEqual(pick(batch!.attributes, ['tidings.endpoint.id', 'tidings.batch.id', 'tidings.batch.event_count']), { 'tidings.endpoint.id': endpoint.endpointId, 'tidings.batch.id': batchId, 'tidings.batch.event_count': 1 });
    assert.deepEqual(pick(attempt!.attributes, ['tidings.batch.id', 'tidings.attempt', 'tidings.delivery.outcome', 'http.response.status_code']), {
      'tidings.batch.id': batchId,
      'tidings.attempt': 1,
      'tidings.delivery.outcome': 'delivered',
      'http.response.status_code': 200,
    });
    for (const client of [publisherClient!, egressClient!]) {
      assert.equal(client.attributes['http.request.method'], 'POST');
      assert.equal(client.attributes['http.response.status_code'], 200);
      assert.equal(client.attributes['server.address'], 'localhost');
    }
    assert.equal(egressClient!.attributes['url.full'], `https://localhost:${stack.receiverPort}/traced`);
    assert.equal(egressClient!.attributes['network.peer.address'], '127.0.0.1');
    assert.equal(egressServer!.attributes['http.response.status_code'], 200);

    // The trigger's transaction is its own PRODUCER span, linked to the payloads it sent.
    const sent = await spanWhere("the trigger's transactional send", (s) => s.service === 'tidings-trigger' && s.kind === 'producer' && s.links.some((l) => l.spanId === created!.spanId));
    assert.equal(sent.attributes['messaging.operation.type'], 'send');
    assert.equal(sent.parentSpanId, undefined);
  });

  it('a retry starts a new trace, linked to the first attempt and tagged with endpoint, batch and attempt', async () => {
    let calls = 0;
    stack.receiver.answers.set('/flaky-traced', () => ({ status: calls++ === 0 ? 503 : 200 }));
    const endpoint = await createEndpoint(stack, key, tailnet, '/flaky-traced');
    const { eventId, traceId } = await emitTraced();
    await waitFor('the event delivered on the retry', () => deliveredTo(endpoint).some((w) => w.body.includes(eventId)), 30_000);
    const batchId = String(deliveredTo(endpoint)[0]!.headers['webhook-id']);

    // The first attempt, in the event's trace, failed with the endpoint's 503.
    const failed = await spanWhere('the first attempt', (s) => s.traceId === traceId && s.name === 'delivery attempt' && s.attributes['tidings.batch.id'] === batchId);
    assert.equal(failed.attributes['tidings.attempt'], 1);
    assert.equal(failed.attributes['tidings.delivery.outcome'], 'failed');
    assert.equal(failed.status.code, 'error');
    const firstBatchSpan = otlp.trace(traceId).find((s) => s.spanId === failed.parentSpanId)!;
    assert.equal(firstBatchSpan.name, 'deliver batch');
    // (The event's trace fans out to every subscribed endpoint of the tailnet: pick this one's.)
    const failedUpstream = await spanWhere('the failed egress request', (s) => s.traceId === traceId && isRequestTo(s, endpoint));
    assert.equal(failedUpstream.attributes['http.response.status_code'], 503);
    assert.equal(failedUpstream.status.code, 'error');

    // The retry: a root CONSUMER span of its own trace, linked back to the first attempt's batch.
    const retry = await spanWhere('the retry', (s) => s.kind === 'consumer' && /tidings\.webhook-retry\.2s\.v1$/.test(s.name) && s.attributes['tidings.batch.id'] === batchId);
    assert.notEqual(retry.traceId, traceId, 'the retry runs in a new trace');
    assert.equal(retry.parentSpanId, undefined, 'the retry span is its trace root');
    assert.deepEqual(pick(retry.attributes, ['tidings.endpoint.id', 'tidings.batch.id', 'tidings.attempt', 'messaging.operation.type']), {
      'tidings.endpoint.id': endpoint.endpointId,
      'tidings.batch.id': batchId,
      'tidings.attempt': 2,
      'messaging.operation.type': 'process',
    });
    const origin = retry.links.find((l) => l.attributes['tidings.link.kind'] === 'first_attempt');
    assert.deepEqual(origin && { traceId: origin.traceId, spanId: origin.spanId }, { traceId, spanId: firstBatchSpan.spanId }, 'linked to the first attempt');

    const upstream = await spanWhere('the retried egress request', (s) => s.traceId === retry.traceId && isRequestTo(s, endpoint));
    const chain = await expectDeliveryChain(upstream, [
      ['tidings-egress', 'client', 'POST'],
      ['tidings-egress', 'server', 'POST'],
      ['tidings-publisher', 'client', 'POST'],
      ['tidings-publisher', 'internal', 'delivery attempt'],
      ['tidings-publisher', 'consumer', /^process .*tidings\.webhook-retry\.2s\.v1$/],
    ]);
    assert.equal(chain[0]!.attributes['http.response.status_code'], 200);
    assert.deepEqual(pick(chain[3]!.attributes, ['tidings.attempt', 'tidings.delivery.outcome']), { 'tidings.attempt': 2, 'tidings.delivery.outcome': 'delivered' });
    assert.deepEqual(otlp.rejected, [], 'every export was readable OTLP/JSON');
  });

  it("serves every documented metric on each service's /metrics, with values that match what happened", async () => {
    // Something of everything: a delivery (the tests above), a DLQ'd domain event, a refusal.
    await producer.send({ topic: stack.env.DOMAIN_EVENTS_TOPIC!, messages: [{ key: tailnet, value: 'not json' }] });
    assert.equal((await proxyPost(stack.env.EGRESS_PORT!, 'http://127.0.0.1:1/hook')).status, 403);

    const documented = documentedMetrics();
    const lagGroups: Record<Exclude<ServiceName, 'egress'>, string[]> = {
      trigger: ['tidings.trigger.v1'],
      publisher: ['tidings.publisher.v1', 'tidings.publisher.notices.v1', 'tidings.publisher.retries.v1'],
      subscriptions: ['tidings.subscriptions.deliveries.v1', 'tidings.subscriptions.commands.v1'],
      relay: [], // its one consumer replays the relay config log: no group, no lag (not started here)
    };
    const pages = new Map<ServiceName, Awaited<ReturnType<typeof scrapeMetrics>>>();
    await waitFor(
      'the DLQ count on the trigger',
      async () => {
        for (const service of ['subscriptions', 'trigger', 'publisher', 'egress'] as const) pages.set(service, await scrapeMetrics(stack.metricsUrl(service)));
        return (pages.get('trigger')!.sum('tidings_trigger_dead_letters_total', { reason_code: 'not-json' }) ?? 0) >= 1;
      },
      15_000,
    );
    for (const [service, page] of pages) {
      const own = documented.filter((name) => name.startsWith(`tidings_${service}_`) || (name === 'tidings_kafka_consumer_lag' && service !== 'egress'));
      assert.ok(own.length >= 3, `${service} documents its metrics`);
      for (const name of own) assert.ok(page.families.has(name), `${service} serves ${name}`);
      assert.ok((page.sum(`tidings_${service}_process_resident_memory_bytes`) ?? 0) > 0, `${service} serves its process metrics`);
      if (service !== 'egress') {
        for (const group of lagGroups[service]) {
          const lag = page.find('tidings_kafka_consumer_lag', { group: `${stack.env.KAFKA_TOPIC_PREFIX}${group}` });
          assert.ok(lag.length > 0 && lag.every((s) => Number.isFinite(s.value) && s.value >= 0), `${service} reports the lag of ${group}`);
        }
      }
    }

    const trigger = pages.get('trigger')!;
    assert.ok(trigger.sum('tidings_trigger_events_total', { outcome: 'routed' })! >= 2);
    assert.ok(trigger.sum('tidings_trigger_events_total', { outcome: 'dead_lettered' })! >= 1);
    assert.ok(trigger.sum('tidings_trigger_payloads_total')! >= 2);

    const publisher = pages.get('publisher')!;
    assert.ok(publisher.sum('tidings_publisher_deliveries_total', { kind: 'payload', outcome: 'delivered' })! >= 2);
    assert.ok(publisher.sum('tidings_publisher_deliveries_total', { kind: 'payload', outcome: 'failed' })! >= 1);
    assert.ok(publisher.sum('tidings_publisher_delivery_attempts_total', { kind: 'payload', attempt: '2' })! >= 1);
    assert.ok(publisher.sum('tidings_publisher_event_to_delivery_seconds_count', { kind: 'payload' })! >= 2);
    assert.ok(publisher.sum('tidings_publisher_delivery_duration_seconds_count', { kind: 'payload' })! >= 3);
    assert.ok(publisher.sum('tidings_publisher_batch_events_count')! >= 2);
    const retryTopic = `${stack.env.KAFKA_TOPIC_PREFIX}tidings.webhook-retry.2s.v1`;
    assert.equal(publisher.sum('tidings_publisher_retry_backlog', { topic: retryTopic }), 0, 'the one retry was consumed');
    assert.equal(publisher.sum('tidings_publisher_retry_oldest_due_age_seconds', { topic: retryTopic }), 0);
    assert.deepEqual(
      publisher.find('tidings_publisher_held_endpoints').map((s) => s.labels.state).sort(),
      ['deadLettered', 'draining', 'resolved', 'retrying'],
    );
    assert.equal(publisher.sum('tidings_publisher_held_endpoints', { state: 'retrying' }), 0, 'nothing is held once the retry delivered');

    const egress = pages.get('egress')!;
    assert.ok(egress.sum('tidings_egress_requests_total', { kind: 'http', outcome: 'ok' })! >= 3);
    assert.equal(egress.sum('tidings_egress_refusals_total', { reason: 'blockedPort', code: '1001' }), 1);
    assert.ok(egress.sum('tidings_egress_request_duration_seconds_count')! >= 4);

    const subscriptions = pages.get('subscriptions')!;
    assert.ok(subscriptions.sum('tidings_subscriptions_http_requests_total', { method: 'POST', route: '/api/v2/tailnet/:tailnet/webhooks', status: '200' })! >= 2);
    assert.ok(subscriptions.sum('tidings_subscriptions_http_request_duration_seconds_count', { method: 'POST', route: '/api/v2/tailnet/:tailnet/webhooks' })! >= 2);
    assert.equal(subscriptions.sum('tidings_subscriptions_outbox_pending'), 0);

    // The trigger committed everything it read: its group has no lag on the domain events. The
    // publisher's input is written in transactions: at rest, at most a commit marker per partition.
    await waitFor("the trigger's lag at 0", async () => (await scrapeMetrics(stack.metricsUrl('trigger'))).sum('tidings_kafka_consumer_lag', { topic: stack.env.DOMAIN_EVENTS_TOPIC! }) === 0, 10_000);
    const payloads = `${stack.env.KAFKA_TOPIC_PREFIX}tidings.webhook-events.v1`;
    await waitFor("the publisher's lag at rest", async () => {
      const lag = (await scrapeMetrics(stack.metricsUrl('publisher'))).sum('tidings_kafka_consumer_lag', { group: `${stack.env.KAFKA_TOPIC_PREFIX}tidings.publisher.v1`, topic: payloads });
      return lag !== undefined && lag <= 6;
    }, 10_000);
  });
});

function pick(attributes: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, attributes[k]]));
}

/** The metric names in the README's Metrics table: the documentation operators rely on. */
function documentedMetrics(): string[] {
  const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Metrics'), readme.indexOf('\n## ', readme.indexOf('## Metrics') + 1));
  return [...section.matchAll(/^\| `(tidings_[a-z_]+)` \|/gm)].map((m) => m[1]!);
}

/** A raw absolute-form request to the egress proxy. */
function proxyPost(port: string, target: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: Number(port), method: 'POST', path: target }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
    req.end('{}');
  });
}
