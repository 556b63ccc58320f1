/**
 * `npm start`: the whole platform on this machine. Kafka, Postgres, the four services and a
 * demo HTTPS receiver; then a demo endpoint registered through the API, a demo domain event,
 * and the delivered, verified webhook printed. Ctrl-C or SIGTERM stops everything it started.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { STRUCTURED_CONTENT_TYPE } from '@tidings/contracts';
import { createTestCa, repoRoot, startService, verifyWebhook, waitFor, WebhookReceiver, type ServiceName, type ServiceProcess } from '@tidings/testing';
import { Kafka, logLevel } from 'kafkajs';
import { demoCloudEvent } from './demo-event';
import { relayDemo } from './relay-demo';

const run = promisify(execFile);
const root = repoRoot();
const local = join(root, '.local');
const DEMO_RECEIVER_PORT = 9443;
const DEMO_TAILNET = 'demo.example.com';
const PORTS = { subscriptions: 8080, trigger: 8081, publisher: 8082, relay: 8083, egressAdmin: 9091 } as const;

const say = (line: string) => process.stdout.write(`\x1b[1m▸\x1b[0m ${line}\n`);
const appendList = (callerValue: string | undefined, ours: string[]) => [...(callerValue ? callerValue.split(',') : []), ...ours].join(',');

/** One master key for the demo, kept across runs so stored secrets stay readable. */
function demoEncryptionKeys(): string {
  const file = join(local, 'demo', 'secrets-encryption-keys');
  if (!existsSync(file)) {
    mkdirSync(join(local, 'demo'), { recursive: true });
    writeFileSync(file, `demo1:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

const cleanups: { name: string; stop: () => Promise<unknown> }[] = [];
let stopping: Promise<never> | undefined;

/** Stops what was started, newest first. A second signal while stopping changes nothing. */
function shutdown(code: number): Promise<never> {
  stopping ??= stopEverything(code);
  return stopping;
}

async function stopEverything(code: number): Promise<never> {
  say('stopping…');
  for (const { name, stop } of cleanups.reverse()) {
    try {
      const started = Date.now();
      await stop();
      say(`stopped ${name} (${Date.now() - started} ms)`);
    } catch (error) {
      process.stderr.write(`failed to stop ${name}: ${(error as Error).message}\n`);
    }
  }
  say('everything stopped');
  process.exit(code);
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  const env = process.env;

  say('starting Kafka on localhost:9092');
  const kafkaStart = await run(join(root, 'infra/kafka/start.sh'), [], { timeout: 600_000 });
  if (!kafkaStart.stdout.includes('already-running')) {
    cleanups.push({ name: 'Kafka', stop: () => run(join(root, 'infra/kafka/stop.sh'), [], { timeout: 60_000 }) });
  }

  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    say('starting PostgreSQL on 127.0.0.1:5432');
    const { stdout } = await run(join(root, 'infra/postgres/start.sh'), [], { timeout: 600_000 });
    databaseUrl = stdout.trim().split('\n').pop()!;
    if (!stdout.includes('already-running')) {
      cleanups.push({ name: 'PostgreSQL', stop: () => run(join(root, 'infra/postgres/stop.sh'), [], { timeout: 60_000 }) });
    }
  }

  const ca = createTestCa(join(local, 'demo', 'ca'));
  const receiver = new WebhookReceiver(ca);
  await receiver.start(DEMO_RECEIVER_PORT);
  cleanups.push({ name: 'demo receiver', stop: () => receiver.stop() });
  say(`demo HTTPS receiver on https://localhost:${DEMO_RECEIVER_PORT} (certificate from ${ca.caCertFile})`);

  // The caller's environment passes through; loopback, the demo port and the demo CA are added.
  const serviceEnv: Record<string, string> = {
    ...(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>),
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: env.KAFKA_BROKERS ?? 'localhost:9092',
    SECRETS_ENCRYPTION_KEYS: env.SECRETS_ENCRYPTION_KEYS ?? demoEncryptionKeys(),
    EGRESS_ALLOW_CIDRS: appendList(env.EGRESS_ALLOW_CIDRS, ['127.0.0.0/8', '::1/128']),
    EGRESS_ALLOWED_PORTS: appendList(env.EGRESS_ALLOWED_PORTS ?? '443,80', [String(DEMO_RECEIVER_PORT)]),
    EGRESS_EXTRA_CA_FILE: appendList(env.EGRESS_EXTRA_CA_FILE, [ca.caCertFile]),
    ADMIN_CONSOLE_URL: env.ADMIN_CONSOLE_URL ?? 'https://login.tailscale.com/admin',
  };
  const logDir = join(local, 'logs');
  const health: Record<ServiceName, string> = {
    egress: `http://127.0.0.1:${PORTS.egressAdmin}/health`,
    subscriptions: `http://127.0.0.1:${PORTS.subscriptions}/health`,
    trigger: `http://127.0.0.1:${PORTS.trigger}/health`,
    publisher: `http://127.0.0.1:${PORTS.publisher}/health`,
    relay: `http://127.0.0.1:${PORTS.relay}/health`,
  };
  for (const name of ['egress', 'subscriptions', 'trigger', 'publisher', 'relay'] as const) {
    const service: ServiceProcess = await startService(name, serviceEnv, { healthUrl: health[name], logDir });
    cleanups.push({ name, stop: () => service.stop() });
    say(`${name} up (log: ${service.logFile})`);
  }

  const { stdout: apiKey } = await run(process.execPath, [join(root, 'dist/services/subscriptions/src/cli/tidings-cli.js'), 'keys', 'create', '--tailnet', DEMO_TAILNET, '--login', 'demo@example.com'], {
    env: serviceEnv,
  });
  say(`minted an API key for tailnet ${DEMO_TAILNET}`);

  // Webhooks left by earlier demo runs would receive the demo event too: remove them first.
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`http://127.0.0.1:${PORTS.subscriptions}/api/v2${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey.trim()}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  const existing = (await (await api('GET', `/tailnet/${DEMO_TAILNET}/webhooks`)).json()) as { webhooks: { endpointId: string }[] };
  for (const { endpointId } of existing.webhooks) await api('DELETE', `/webhooks/${endpointId}`);

  const demoPath = `/webhook/${randomBytes(4).toString('hex')}`;
  const created = await api('POST', `/tailnet/${DEMO_TAILNET}/webhooks`, {
    endpointUrl: `https://localhost:${DEMO_RECEIVER_PORT}${demoPath}`,
    subscriptions: ['categoryTailnetManagement', 'categoryWebhookManagement'],
  });
  const webhook = (await created.json()) as { endpointId: string; secret: string; standardWebhooksSecret: string };
  if (!created.ok) throw new Error(`creating the demo webhook failed: ${created.status} ${JSON.stringify(webhook)}`);
  say(`registered webhook ${webhook.endpointId} → https://localhost:${DEMO_RECEIVER_PORT}${demoPath}`);

  const kafka = new Kafka({ clientId: 'tidings-demo', brokers: serviceEnv.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const event = demoCloudEvent(DEMO_TAILNET);
  const before = receiver.received.length;
  await producer.send({
    topic: env.DOMAIN_EVENTS_TOPIC ?? 'tailnet.events',
    messages: [{ key: DEMO_TAILNET, value: JSON.stringify(event), headers: { 'content-type': STRUCTURED_CONTENT_TYPE } }],
  });
  say(`produced ${event.type} ${event.id} to tailnet.events`);
  const delivered = await waitFor('the demo webhook to arrive', () => receiver.received.find((w, i) => i >= before && w.path === demoPath && w.body.includes(event.id)), 60_000, 100);
  await producer.disconnect();

  const verified = verifyWebhook(delivered, webhook.secret, webhook.standardWebhooksSecret);
  process.stdout.write('\n\x1b[1mDelivered webhook\x1b[0m\n');
  for (const name of ['content-type', 'user-agent', 'tailscale-webhook-signature', 'webhook-id', 'webhook-timestamp', 'webhook-signature']) {
    process.stdout.write(`  ${name}: ${String(delivered.headers[name])}\n`);
  }
  process.stdout.write(`${JSON.stringify(verified.events, null, 2).replace(/^/gm, '  ')}\n`);
  process.stdout.write(`  Tailscale-Webhook-Signature valid: ${verified.tailscaleSignatureValid}\n`);
  process.stdout.write(`  Standard Webhooks signature valid: ${verified.standardSignatureValid}\n\n`);
  if (!verified.tailscaleSignatureValid || !verified.standardSignatureValid) throw new Error('the demo webhook did not verify');

  await relayDemo({ api, relayUrl: `http://localhost:${PORTS.relay}`, receiver, receiverPort: DEMO_RECEIVER_PORT, say });
  say(`API on http://localhost:${PORTS.subscriptions}, relay on localhost:${PORTS.relay}, egress proxy on localhost:9090, Kafka on localhost:9092`);
  say(`API key for ${DEMO_TAILNET}: ${apiKey.trim()}`);
  // A day-long portal session: the console opens signed in, and the token never sits in a server log (a URL fragment).
  const session = await api('POST', `/tailnet/${DEMO_TAILNET}/portal-sessions`, { ttlSeconds: 86_400, loginName: 'demo@example.com' });
  if (!session.ok) throw new Error(`minting the demo portal session failed: ${session.status} ${await session.text()}`);
  say(`console, signed in for ${DEMO_TAILNET}: http://localhost:${PORTS.subscriptions}/console#session=${((await session.json()) as { token: string }).token}`);
  say('running; Ctrl-C stops everything');
  receiver.onWebhook((w) =>
    process.stdout.write(w.path.startsWith('/relay/') ? `received relayed request ${String(w.headers['x-tidings-relay-id'])}: ${w.body}\n` : `received webhook ${String(w.headers['webhook-id'])}: ${w.body}\n`),
  );
}

main().catch(async (error: unknown) => {
  process.stderr.write(`npm start failed: ${(error as Error).stack ?? String(error)}\n`);
  await shutdown(1);
});
