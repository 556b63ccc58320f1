import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RelayBucketView, RelayInputView } from '@tidings/contracts';
import { OtlpReceiver, repoRoot, scrapeMetrics, TidingsStack, waitFor } from '@tidings/testing';

/**
 * A relayed request is one trace from the relay's answer to the egress' request to the output,
 * and the relay serves every metric the README documents for it.
 */
describe('relay observability', () => {
  const otlp = new OtlpReceiver();
  let stack: TidingsStack;
  let key: string;

  before(async () => {
    const endpoint = await otlp.start();
    stack = await TidingsStack.create('relay-observe', { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '100' });
    await stack.start('egress', 'subscriptions', 'trigger', 'publisher', 'relay');
    key = await stack.apiKey('observe.example.com', 'ops@observe.example.com');
  });
  after(async () => {
    await stack?.stop();
    await otlp.stop();
  });

  it('traces a request from the relay through its router and the publisher to the egress, in one trace', async () => {
    const bucket = (await stack.api('POST', '/api/v2/tailnet/-/relay-buckets', key, { name: 'traced' })).body as RelayBucketView;
    const base = stack.receiverUrl.replace(/\/webhook$/, '');
    const input = (await stack.api('POST', `/api/v2/relay-buckets/${bucket.bucketId}/inputs`, key, { outputs: [{ url: `${base}/relay-traced` }] })).body as RelayInputView;
    await waitFor('the relay to know the input', async () => (await fetch(`${stack.relayUrl}${input.path}`)).status === 401, 15_000);
    const res = await fetch(`${stack.relayUrl}${input.path}`, { method: 'POST', body: '{"traced":true}', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 200);
    const arrived = await waitFor('the request at its output', () => stack.receiver.received.find((w) => w.path === '/relay-traced'), 30_000);
    assert.equal(arrived.headers.traceparent, undefined, 'the trace context stays inside');

    const upstream = await waitFor('the egress request to the output', () => otlp.spans.find((s) => s.service === 'tidings-egress' && s.kind === 'client' && String(s.attributes['url.full'] ?? '').includes('/relay-traced')), 20_000);
    const chain = await waitFor('the chain back to the relay', () => {
      const c = otlp.ancestry(upstream);
      return c.some((s) => s.service === 'tidings-relay' && s.kind === 'server') && c;
    }, 20_000);
    const hops = chain.map((s) => `${s.service} ${s.kind} ${s.name}`);
    const topic = `${stack.env.KAFKA_TOPIC_PREFIX}tidings.webhook-events.v1`;
    for (const expected of ['tidings-publisher internal delivery attempt', `tidings-publisher consumer process ${topic}`, `tidings-relay producer create ${topic}`, `tidings-relay consumer process ${stack.env.KAFKA_TOPIC_PREFIX}tidings.relay-requests.v1`]) {
      assert.ok(hops.includes(expected), `${expected} in ${hops.join(' ← ')}`);
    }
    assert.equal(chain.at(-1)!.service, 'tidings-relay', 'the trace starts where the request arrived');
    assert.equal(chain.at(-1)!.kind, 'server');
  });

  it('serves every metric the README documents for it', async () => {
    const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Metrics'), readme.indexOf('\n## ', readme.indexOf('## Metrics') + 1));
    const documented = [...section.matchAll(/^\| `(tidings_relay_[a-z_]+)` \|/gm)].map((m) => m[1]!);
    assert.ok(documented.length >= 3, 'the relay documents its metrics');
    const page = await scrapeMetrics(stack.metricsUrl('relay'));
    for (const name of documented) assert.ok(page.families.has(name), `the relay serves ${name}`);
    assert.ok((page.sum('tidings_relay_process_resident_memory_bytes') ?? 0) > 0, 'and its process metrics');
  });
});
