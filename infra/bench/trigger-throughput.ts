/**
 * `npm run bench:trigger`: how fast the trigger turns domain events into payloads on this
 * machine. A private Kafka broker is started; a backlog of domain events is produced first,
 * then the trigger (the real service, as a process) is started and timed until every payload
 * is committed on the payload topic. Prints a table and, with --out FILE, JSON.
 *
 *   npm run bench:trigger -- [--events 20000] [--fanout 1,4] [--out bench-trigger.json] [--profile DIR]
 *
 * --profile writes the trigger's V8 CPU profile into DIR (read it with infra/bench/profile-summary.ts).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { resolveTopicNames, topicSpecs } from '@tidings/contracts';
import { provisionTopics } from '@tidings/kafka';
import { freePort, repoRoot, startKafka, startService, TopicReader, waitFor } from '@tidings/testing';

const { values } = parseArgs({ options: { events: { type: 'string', default: '20000' }, fanout: { type: 'string', default: '1,4' }, out: { type: 'string' }, profile: { type: 'string' } } });
const EVENTS = Number(values.events);
const FANOUTS = values.fanout!.split(',').map(Number);

interface Result {
  scenario: string;
  events: number;
  payloads: number;
  seconds: number;
  eventsPerSecond: number;
  payloadsPerSecond: number;
}

async function scenario(brokers: string[], fanout: number): Promise<Result> {
  const prefix = `bench${randomBytes(3).toString('hex')}.`;
  const topics = resolveTopicNames({ domainEventsTopic: `${prefix}tailnet.events`, prefix, retryDelaysMs: [] });
  const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await provisionTopics(admin, topicSpecs(topics, { delaysMs: [], jitter: 0 }));
  await admin.disconnect();

  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const tailnet = 'bench.example.com';
  const secret = { keyId: 'k', iv: 'aQ==', ciphertext: 'aQ==', tag: 'aQ==' };
  await producer.send({
    topic: topics.endpointConfig,
    messages: Array.from({ length: fanout }, () => {
      const endpointId = randomUUID();
      const event = { schemaVersion: 1, eventId: randomUUID(), endpointId, tailnet, version: 1, occurredAt: new Date().toISOString(), actor: 'bench', type: 'endpointCreated', endpointUrl: 'https://hooks.example.com/x', providerType: '', subscriptions: ['categoryTailnetManagement'], secret };
      return { key: endpointId, value: JSON.stringify(event) };
    }),
  });
  // The backlog, spread over tailnets so every partition has work.
  for (let i = 0; i < EVENTS; i += 1_000) {
    await producer.send({
      topic: topics.domainEvents,
      messages: Array.from({ length: Math.min(1_000, EVENTS - i) }, (_, j) => ({
        key: `${tailnet}#${(i + j) % 64}`,
        value: JSON.stringify({ specversion: '1.0', id: randomUUID(), source: '//bench', type: 'nodeCreated', time: new Date().toISOString(), tailnet, data: { nodeID: `n${i + j}`, deviceName: 'laptop', managedBy: 'a@x', actor: 'a@x' } }),
      })),
    });
  }
  await producer.disconnect();

  let payloads = 0;
  const reader = await TopicReader.open(kafka, topics.webhookEvents, () => (payloads += 1));
  const port = await freePort();
  const profiling: Record<string, string> = values.profile ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${resolve(values.profile)}` } : {};
  const started = performance.now();
  const trigger = await startService('trigger', { KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC_PREFIX: prefix, DOMAIN_EVENTS_TOPIC: topics.domainEvents, TRIGGER_PORT: String(port), TRIGGER_INSTANCE_ID: 'bench', LOG_LEVEL: 'warn', ...profiling }, { healthUrl: `http://127.0.0.1:${port}/health`, logDir: join(repoRoot(), '.local', 'bench') });
  await waitFor('every payload', () => payloads >= EVENTS * fanout, 600_000, 20);
  const seconds = (performance.now() - started) / 1000;
  await trigger.stop();
  await reader.stop();
  return { scenario: `fan-out ${fanout}`, events: EVENTS, payloads, seconds: round(seconds), eventsPerSecond: round(EVENTS / seconds), payloadsPerSecond: round(payloads / seconds) };
}

const round = (n: number) => Math.round(n * 10) / 10;

async function main(): Promise<void> {
  const port = await freePort();
  const kafka = await startKafka({ port, controllerPort: await freePort(), dir: join(repoRoot(), '.local', 'bench', 'kafka') });
  try {
    const results: Result[] = [];
    for (const fanout of FANOUTS) results.push(await scenario(kafka.brokers, fanout));
    console.table(results);
    const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30), node: process.version };
    console.log('machine', machine);
    console.log('note: includes the trigger\'s start-up (replaying the config and dedup logs), as a restart after an outage would');
    if (values.out) writeFileSync(values.out, `${JSON.stringify({ results, machine }, null, 2)}\n`);
  } finally {
    await kafka.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
