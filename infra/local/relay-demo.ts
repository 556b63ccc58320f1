import { randomBytes } from 'node:crypto';
import { waitFor, type WebhookReceiver } from '@tidings/testing';

export interface RelayDemoOptions {
  /** The management API for the demo tailnet (`/api/v2` prepended). */
  api: (method: string, path: string, body?: unknown) => Promise<Response>;
  relayUrl: string;
  receiver: WebhookReceiver;
  receiverPort: number;
  say: (line: string) => void;
}

/**
 * The inbound relay in `npm start`: a demo bucket (token auth) with one input whose output is
 * the demo receiver; one request sent to it as the printed curl would, shown on arrival.
 * Buckets left by earlier runs are removed first.
 */
export async function relayDemo({ api, relayUrl, receiver, receiverPort, say }: RelayDemoOptions): Promise<void> {
  const existing = (await (await api('GET', '/tailnet/-/relay-buckets')).json()) as { buckets: { bucketId: string; name: string }[] };
  for (const b of existing.buckets.filter((b) => b.name === 'demo')) await api('DELETE', `/relay-buckets/${b.bucketId}`);
  const token = `demo-${randomBytes(12).toString('hex')}`;
  const bucket = await api('POST', '/tailnet/-/relay-buckets', { name: 'demo', auth: { token: { header: 'X-Relay-Token', value: token } } });
  if (!bucket.ok) throw new Error(`creating the demo relay bucket failed: ${bucket.status} ${await bucket.text()}`);
  const { bucketId } = (await bucket.json()) as { bucketId: string };
  const outputPath = `/relay/${randomBytes(4).toString('hex')}`;
  const created = await api('POST', `/relay-buckets/${bucketId}/inputs`, { outputs: [{ url: `https://localhost:${receiverPort}${outputPath}` }] });
  if (!created.ok) throw new Error(`creating the demo relay input failed: ${created.status} ${await created.text()}`);
  const input = (await created.json()) as { inputId: string; path: string };
  say(`relay input ${input.inputId} (bucket ${bucketId}) → https://localhost:${receiverPort}${outputPath}`);

  const url = `${relayUrl}${input.path}`;
  const body = JSON.stringify({ hello: 'from the relay demo' });
  // The relay learns of the input from Kafka: until then it answers like an unknown input, and forwards nothing.
  await waitFor('the relay to know the demo input', async () => (await fetch(url)).status === 401, 30_000, 200);
  const before = receiver.received.length;
  const answer = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-relay-token': token } });
  if (answer.status !== 200) throw new Error(`the relay answered the demo request ${answer.status}`);
  const arrived = await waitFor('the relayed request at the demo receiver', () => receiver.received.find((w, i) => i >= before && w.path === outputPath), 60_000, 100);
  process.stdout.write('\n\x1b[1mRelayed request\x1b[0m\n');
  for (const name of ['content-type', 'x-forwarded-for', 'x-tidings-relay-id']) process.stdout.write(`  ${name}: ${String(arrived.headers[name])}\n`);
  process.stdout.write(`  ${arrived.body}\n\n`);
  say(`relay on ${relayUrl}; send your own: curl -X POST ${url} -H 'x-relay-token: ${token}' -H 'content-type: application/json' -d '{"hello":"again"}'`);
}
