import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { deadLetterRecordSchema, distinctDelays, laneRecordSchema, parseRetrySchedule, resolveTopicNames, type DeadLetterRecord } from '@tidings/contracts';
import { createTestCa, freePort, repoRoot, TestDnsServer, TopicReader } from '@tidings/testing';
import { auditAlerts } from './alert-checks';
import { EventSource } from './event-source';
import { inject, planFaults, type FaultTargets, type InjectedFault } from './faults';
import { InfraControl } from './infra-control';
import { auditDeliveries, type EndpointState, type LedgerRow } from './ledger';
import { Random } from './random';
import { ReceiverFleet, type ChaosEndpoint, type EndpointKind } from './receiver-fleet';
import { PrometheusWatch } from './prometheus-watch';
import { auditRestingState } from './resting-state';
import { ServiceFleet } from './service-fleet';

const run = promisify(execFile);

export interface ChaosOptions {
  minutes: number;
  seed: number;
  /** Domain events per second. */
  rate: number;
  /** Where the run keeps its broker, database and logs. */
  dir: string;
  kafkaPort: number;
  postgresPort: number;
  /** tc netem is only used inside a network namespace the run owns. */
  netem: boolean;
  log: (line: string) => void;
}

export interface ChaosResult {
  seed: number;
  rows: LedgerRow[];
  faults: InjectedFault[];
  figures: Record<string, number>;
  ok: boolean;
}

/** Short retry intervals, so several pass within a fault and a dead endpoint runs out within minutes. */
const RETRY_SCHEDULE = '2s,4s,8s,15s*4';
const PREFIX = 'chaos.';
const ALERT_TIME_SCALE = 60;
const ENDPOINT_MIX: EndpointKind[] = ['steady', 'steady', 'slow', 'flaky', 'flaky'];

/**
 * The whole platform, two instances of each service, under a steady load of domain events
 * while faults follow a seeded schedule; at the end the work drains and the ledger is taken.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const { log } = options;
  const random = new Random(options.seed);
  rmSync(options.dir, { recursive: true, force: true });
  mkdirSync(options.dir, { recursive: true });
  const infra = new InfraControl(options.dir, options.kafkaPort, options.postgresPort);
  const ca = createTestCa(join(options.dir, 'ca'), ['localhost', '*.chaos.test']);
  const dns = new TestDnsServer();
  const receivers = new ReceiverFleet(ca, new Random(options.seed + 1));
  let fleet: ServiceFleet | undefined;
  let events: EventSource | undefined;
  let prometheus: PrometheusWatch | undefined;
  const readers: TopicReader[] = [];
  const apiKeys = new Map<string, string>();
  try {
    await infra.start();
    const dnsAddress = await dns.start();
    await receivers.start();
    const parsed = parseRetrySchedule(RETRY_SCHEDULE);
    if (!parsed.ok) throw new Error(parsed.reason);
    const topics = resolveTopicNames({ domainEventsTopic: `${PREFIX}tailnet.events`, prefix: PREFIX, retryDelaysMs: distinctDelays(parsed.schedule) });
    const env: Record<string, string> = {
      KAFKA_BROKERS: infra.brokers.join(','),
      KAFKA_TOPIC_PREFIX: PREFIX,
      DOMAIN_EVENTS_TOPIC: topics.domainEvents,
      DATABASE_URL: infra.databaseUrl,
      SECRETS_ENCRYPTION_KEYS: `chaos:${randomBytes(32).toString('base64')}`,
      RETRY_SCHEDULE,
      EGRESS_ALLOW_CIDRS: '127.0.0.0/8',
      EGRESS_ALLOWED_PORTS: String(receivers.port),
      EGRESS_EXTRA_CA_FILE: ca.caCertFile,
      EGRESS_DNS_SERVERS: dnsAddress,
      LOG_LEVEL: 'info',
    };
    fleet = await ServiceFleet.create({ env, replicas: 2, logDir: join(options.dir, 'logs'), random: new Random(options.seed + 2), log });
    await fleet.start();
    log(`started ${fleet.instances.length} service instances`);
    // A real Prometheus scrapes every instance and evaluates the alert rules, their windows
    // and `for` scaled down 60 times (5m → 5s) so a run of minutes can show them firing.
    mkdirSync(join(options.dir, 'prometheus'), { recursive: true });
    prometheus = await PrometheusWatch.start({
      dir: join(options.dir, 'prometheus'),
      port: await freePort(),
      rulesFile: join(repoRoot(), 'infra', 'observability', 'prometheus', 'alerts.yaml'),
      timeScale: ALERT_TIME_SCALE,
      scrapeIntervalSeconds: 1,
      targets: fleet.instances.map((i) => ({ job: `tidings-${i.name}`, instance: i.label, address: i.metricsAddress })),
    });
    prometheus.watch(1_000);

    // Tailnets with a mix of endpoints each, plus one that answers 410 and one that dies.
    const tailnets = ['alpha', 'bravo', 'charlie', 'delta'].map((t) => `${t}.chaos.example`);
    const kinds = tailnets.map((tailnet, i) => ({ tailnet, kinds: [...ENDPOINT_MIX, ...(i === 0 ? (['gone'] as const) : i === 1 ? (['dying'] as const) : [])] }));
    for (const { tailnet, kinds: mix } of kinds) {
      const key = (await run(process.execPath, [join(repoRoot(), 'dist/services/subscriptions/src/cli/tidings-cli.js'), 'keys', 'create', '--tailnet', tailnet, '--login', `admin@${tailnet}`], { env: { PATH: process.env.PATH ?? '', ...env } })).stdout.trim();
      for (const [i, kind] of mix.entries()) {
        const host = `${kind}.chaos.test`;
        dns.set(host, { A: ['127.0.0.1'], ttl: 2 });
        const path = `/${tailnet}/${kind}-${i}`;
        const subscriptions = ['categoryTailnetManagement'];
        const res = await api(fleet.apiUrl(), 'POST', `/api/v2/tailnet/${tailnet}/webhooks`, key, { endpointUrl: `https://${host}:${receivers.port}${path}`, subscriptions });
        if (res.status !== 200) throw new Error(`creating an endpoint failed: ${res.status} ${JSON.stringify(res.body)}`);
        const body = res.body as { endpointId: string; secret: string; standardWebhooksSecret: string };
        receivers.add({ kind, tailnet, path, host, subscriptions, ...body });
      }
      apiKeys.set(tailnet, key);
    }

    const kafka = new Kafka({ clientId: 'chaos', brokers: infra.brokers, logLevel: logLevel.NOTHING });
    const deadLetters: DeadLetterRecord[] = [];
    let domainDeadLetters = 0;
    readers.push(await TopicReader.open(kafka, topics.webhookDeadLetters, (r) => deadLetters.push(deadLetterRecordSchema.parse(JSON.parse(r.value!.toString())))));
    readers.push(await TopicReader.open(kafka, topics.domainEventsDlq, () => (domainDeadLetters += 1)));
    const routed = await routedPairs(kafka, topics.webhookEvents, receivers.all().filter((e) => e.kind === 'gone' || e.kind === 'dying'), readers);

    events = new EventSource(kafka, topics.domainEvents, tailnets, new Random(options.seed + 3), options.rate);
    const totalSeconds = options.minutes * 60;
    const plan = planFaults(random, totalSeconds, { quietSeconds: Math.min(45, totalSeconds / 5), netem: options.netem });
    log(`plan (seed ${options.seed}): ${plan.map((f) => `${f.at}s ${f.kind}`).join(', ')}`);
    const started = Date.now();
    events.start();
    const sampler = setInterval(() => fleet!.instances.forEach((i) => i.sampleRss()), 1_000);
    const targets: FaultTargets = { fleet, infra, receivers, dns, events, log };
    const injected: InjectedFault[] = [];
    const dying = receivers.all().filter((e) => e.kind === 'dying');
    let died = false;
    for (const fault of plan) {
      const wait = started + fault.at * 1_000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (!died && Date.now() - started > (totalSeconds * 1_000) / 4) {
        dying.forEach((e) => receivers.setDown(e.path, true));
        died = true;
        log('the dying endpoint is down for good');
      }
      injected.push(
        await inject(fault, targets, random).catch((error: Error) => {
          log(`fault ${fault.kind} could not be injected: ${error.message}`);
          return { ...fault, detail: `NOT INJECTED: ${error.message.split('\n')[0]}`, startedAt: new Date(), endedAt: new Date(), failed: true };
        }),
      );
    }
    const left = started + totalSeconds * 1_000 - Date.now();
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    await events.stop();
    log(`produced ${events.produced.length} events (+${events.duplicatesSent} duplicates, ${events.badSent} unusable); draining`);

    const collect = async () => {
      const states = new Map<string, EndpointState>();
      for (const e of receivers.all()) {
        const res = await api(fleet!.apiUrl(), 'GET', `/api/v2/webhooks/${e.endpointId}`, apiKeys.get(e.tailnet)!).catch(() => undefined);
        if (res?.status === 200) states.set(e.endpointId, res.body as EndpointState);
      }
      return auditDeliveries({ produced: events!.produced, endpoints: receivers.all(), arrivals: receivers.arrivals, deadLetters, routed, states, badSent: events!.badSent, domainDeadLetters });
    };
    // Drain: the retry schedule's whole length at most, then a margin.
    const rows = await untilClean(collect, 150_000);
    clearInterval(sampler);
    // Alerts still firing get the time their scaled windows need to see the calm.
    const calmUntil = Date.now() + 90_000;
    while (prometheus.firingNow().length > 0 && Date.now() < calmUntil) await new Promise((r) => setTimeout(r, 2_000));
    const firstFault = injected[0]?.startedAt ?? new Date();
    rows.push(...auditAlerts(prometheus.history(), injected, { from: new Date(started + 15_000), to: firstFault }));
    const admin = kafka.admin();
    await admin.connect();
    try {
      // Commits trail deliveries by up to a second per consumer: at rest is what holds once they caught up.
      rows.push(...(await untilClean(() => auditRestingState({ databaseUrl: infra.databaseUrl, admin, prefix: PREFIX, topics, instances: fleet!.instances }), 60_000)));
    } finally {
      await admin.disconnect();
    }
    const figures = {
      events: events.produced.length,
      duplicatesSent: events.duplicatesSent,
      unusableSent: events.badSent,
      requests: [...receivers.arrivals.values()].reduce((n, a) => n + a.length, 0),
      deadLetteredBatches: deadLetters.length,
      restarts: fleet.instances.reduce((n, i) => n + i.restarts, 0),
      producerRetries: events.sendRetries,
      drainSeconds: Math.round((Date.now() - started) / 1_000 - totalSeconds),
    };
    const notInjected = injected.filter((f) => f.failed);
    rows.push({ check: 'every planned fault injected', ok: notInjected.length === 0, detail: `${injected.length - notInjected.length} of ${injected.length}${notInjected.map((f) => `; ${f.detail}`).join('')}` });
    return { seed: options.seed, rows, faults: injected, figures, ok: rows.every((r) => r.ok) };
  } finally {
    await events?.stop().catch(() => undefined);
    await prometheus?.stop().catch(() => undefined);
    await Promise.all(readers.map((r) => r.stop().catch(() => undefined)));
    await fleet?.stop().catch(() => undefined);
    await receivers.stop();
    await dns.stop();
    await infra.stop();
  }
}

/** Takes the ledger rows again every 3 s until they all hold or `withinMs` has passed; the last rows. */
async function untilClean(audit: () => Promise<LedgerRow[]>, withinMs: number): Promise<LedgerRow[]> {
  const until = Date.now() + withinMs;
  let rows = await audit();
  while (rows.some((r) => !r.ok) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 3_000));
    rows = await audit();
  }
  return rows;
}

async function api(base: string, method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** Follows the lanes topic for the events the trigger routes to `endpoints` (committed records only). */
async function routedPairs(kafka: Kafka, topic: string, endpoints: ChaosEndpoint[], readers: TopicReader[]): Promise<Map<string, Set<string>>> {
  const routed = new Map(endpoints.map((e) => [e.endpointId, new Set<string>()]));
  readers.push(
    await TopicReader.open(kafka, topic, (r) => {
      const record = laneRecordSchema.safeParse(JSON.parse(r.value!.toString()));
      if (record.success && record.data.kind === 'event') routed.get(record.data.endpointId)?.add(record.data.event.id);
    }),
  );
  return routed;
}
