/**
 * `npm run bench`: what users feel, end to end, on this machine. Kafka, Postgres and all five
 * services run for real (as in production, each its own process, logging at info); domain
 * events go in as a control plane writes them, and an event counts as delivered when a POST
 * carrying it reached the HTTPS receiver and both its signatures verified. The limits, the raw
 * kafkajs round trip of the same messages and direct undici POSTs to the same receiver, are
 * measured in the same run, and every scenario is given as a ratio to them.
 *
 *   npm run bench -- [--out bench.json] [--scale 1] [--rate 500] [--seconds 20] [--only NAME[|NAME…]] [--warm-up S] [--profile DIR]
 *
 * --scale multiplies every scenario's size (0.1 for a quick look); --only runs the scenarios
 * whose name contains one of the NAMEs, after --warm-up seconds (60 with --only, else 0) at
 * --rate that warm the broker's JIT and the services up as the scenarios before them would; --profile writes each service's V8
 * CPU profile into DIR (read them with infra/bench/profile-summary.ts). No thresholds: it reports.
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { INTERNAL_TOPICS } from '@tidings/contracts';
import { TidingsStack } from '@tidings/testing';
import { CpuMeter, pidFrom, type CpuSeconds } from './e2e/cpu-meter';
import { DeliveryProbe } from './e2e/delivery-probe';
import { emitAtRate, emitBurst, type EventType } from './e2e/domain-events';
import { measureEgressOverhead, measureHttpLimit, measureKafkaLimit, type Limits } from './e2e/limits';
import { EndpointFleet } from './e2e/endpoint-fleet';
import { HopProbe } from './e2e/hop-probe';
import { PeakRss } from './e2e/peak-rss';
import { relayLoad } from './e2e/relay-load';
import { printReport, type ScenarioResult } from './e2e/report';
import { percentiles, round, type Percentiles } from './e2e/stats';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    scale: { type: 'string', default: '1' },
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '20' },
    only: { type: 'string' },
    'warm-up': { type: 'string' },
    profile: { type: 'string' },
  },
});
const SCALE = Number(values.scale);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const WARM_UP_SECONDS = 5;
/** The low, steady rate whose cost per event the bench reports (most deployments live there). */
const STEADY_RATE = 200;
const sized = (n: number) => Math.max(1, Math.round(n * SCALE));
const selected = (name: string) => values.only === undefined || values.only.split('|').some((part) => name.includes(part));


class Bench {
  readonly scenarios: Record<string, ScenarioResult | Record<string, unknown>> = {};
  private limits!: Limits;
  private readonly rss = new PeakRss(() => Object.fromEntries([...this.stack.services].map(([name, service]) => [name, service.child.pid])));
  private readonly cpu = new CpuMeter(() => ({
    ...Object.fromEntries([...this.stack.services].map(([name, service]) => [name, service.child.pid])),
    kafka: pidFrom(process.env.TIDINGS_BENCH_KAFKA_PIDFILE),
    postgres: pidFrom(process.env.TIDINGS_BENCH_POSTGRES_PIDFILE),
  }));

  constructor(
    private readonly stack: TidingsStack,
    private readonly kafka: Kafka,
    private readonly producer: Producer,
    private readonly probe: DeliveryProbe,
    private readonly fleet: EndpointFleet,
  ) {}

  async measureLimits(): Promise<Limits> {
    const kafka = await measureKafkaLimit(this.stack.env.KAFKA_BROKERS!.split(','), sized(50_000));
    log(`limit: raw kafkajs produce→consume ${kafka.messagesPerSecond} msg/s`);
    const receiver = `https://localhost:${this.stack.receiverPort}/limit`;
    const http = await measureHttpLimit({ url: receiver, caFile: this.stack.ca.caCertFile, requests: sized(20_000), concurrency: 64 });
    log(`limit: direct undici POSTs ${http.requestsPerSecond} req/s`);
    const egress = await measureEgressOverhead(receiver, this.stack.ca.caCertFile, this.stack.env.EGRESS_PROXY_URL!, sized(5_000), 32);
    log(`egress: ${egress.proxied.requestsPerSecond} req/s through it, ${egress.direct.requestsPerSecond} direct (${egress.ratio}), adds ${JSON.stringify(egress.addedLatencyMs)} ms`);
    this.limits = { kafka, http, egress };
    return this.limits;
  }

  /** Sustained throughput: a burst of events to `tailnets`, timed until every delivery verified. */
  async throughput(name: string, tailnets: string[], endpointsPerTailnet: number, events: number): Promise<void> {
    if (!selected(name)) return;
    const setup = await this.fleet.create(name, tailnets, endpointsPerTailnet, 'nodeCreated');
    const expected = events * endpointsPerTailnet;
    this.probe.reset();
    this.rss.reset();
    log(`${name}: ${events} events → ${expected} deliveries`);
    const started = Date.now();
    const cpuBefore = this.cpuSample();
    await emitBurst(this.producer, this.topic, tailnets, events, 'nodeCreated', this.probe);
    const complete = await this.probe.until(expected, 600_000);
    const seconds = ((this.probe.lastAt || Date.now()) - started) / 1000;
    const cpu = CpuMeter.between(cpuBefore, this.cpuSample(), (Date.now() - started) / 1000, cpus().length);
    this.record(name, {
      eventsPerSecond: Math.round(this.probe.delivered / seconds),
      latencyMs: percentiles(this.probe.latenciesMs()),
      domainEvents: events,
      endpoints: tailnets.length * endpointsPerTailnet,
      tailnets: tailnets.length,
      deliveries: this.probe.delivered,
      expectedDeliveries: expected,
      requests: this.probe.requests,
      eventsPerRequest: round(this.probe.delivered / Math.max(1, this.probe.requests), 2),
      complete,
      invalidSignatures: this.probe.invalid,
      seconds: round(seconds, 2),
      endpointSetupSeconds: setup.seconds,
      cpuSeconds: cpu.seconds,
      cpuShareOfCores: cpu.shareOfCores,
      // Per delivered (event, endpoint) pair: services, broker and database.
      cpuMsPerEvent: round((platformSeconds(cpu.seconds) * 1000) / Math.max(1, this.probe.delivered), 2),
    });
    log(`${name}: CPU seconds ${JSON.stringify(cpu.seconds)}`);
  }

  /** Latency at a fixed offered load; with `failing`, that share of endpoints answers 503 throughout. */
  async latency(name: string, tailnets: string[], type: EventType, { rate = RATE, failingShare = 0 }: { rate?: number; failingShare?: number } = {}): Promise<void> {
    if (!selected(name)) return;
    const setup = await this.fleet.create(name, tailnets, 1, type);
    const failing = new Set(setup.paths.slice(0, Math.round(setup.paths.length * failingShare)));
    for (const path of failing) this.stack.receiver.answers.set(path, { status: 503 });
    const healthy = new Set(setup.paths.filter((p) => !failing.has(p)));
    // The same load for a few seconds first, unmeasured: a steady state, not the first seconds
    // of new endpoints (connections, JIT, buffers), is what this scenario is about.
    this.probe.reset();
    const warmUp = await emitAtRate(this.producer, this.topic, tailnets, { perSecond: rate, seconds: WARM_UP_SECONDS, type }, this.probe);
    await this.probe.until(Math.round((warmUp * healthy.size) / tailnets.length), 60_000);
    this.probe.reset();
    this.rss.reset();
    // Per hop: the payload topic read as the publisher reads it (see e2e/hop-probe.ts).
    const hops = new HopProbe((eventId) => this.probe.isProduced(eventId));
    await hops.start(this.kafka, `${this.stack.env.KAFKA_TOPIC_PREFIX ?? ''}${INTERNAL_TOPICS.webhookEvents}`);
    this.probe.keepArrivals = true;
    log(`${name}: ${rate} events/s for ${SECONDS} s over ${tailnets.length} endpoints${failing.size ? `, ${failing.size} failing` : ''}`);
    const started = Date.now();
    const cpuBefore = this.cpuSample();
    const produced = await emitAtRate(this.producer, this.topic, tailnets, { perSecond: rate, seconds: SECONDS, type }, this.probe);
    const expected = Math.round((produced * healthy.size) / tailnets.length);
    const complete = await this.probe.until(expected, 120_000);
    const cpu = CpuMeter.between(cpuBefore, this.cpuSample(), (Date.now() - started) / 1000, cpus().length);
    const hopsMs = hops.breakdown(this.probe.producedTimes, this.probe.arrivedAt);
    this.probe.keepArrivals = false;
    await hops.stop();
    log(`${name}: per hop (ms) ${JSON.stringify(hopsMs)}; CPU seconds ${JSON.stringify(cpu.seconds)}`);
    const seconds = ((this.probe.lastAt || Date.now()) - started) / 1000;
    this.record(name, {
      eventsPerSecond: Math.round(this.probe.delivered / seconds),
      latencyMs: percentiles(this.probe.latenciesMs(healthy)),
      hopsMs,
      offeredEventsPerSecond: rate,
      domainEvents: produced,
      endpoints: tailnets.length,
      failingEndpoints: failing.size,
      deliveriesToHealthyEndpoints: this.probe.delivered,
      expectedDeliveries: expected,
      requests: this.probe.requests,
      complete,
      seconds: round(seconds, 2),
      cpuSeconds: cpu.seconds,
      cpuShareOfCores: cpu.shareOfCores,
      // Services, broker and database together, per domain event produced (the bench's own
      // producer and receiver, the control plane and the customers, left out).
      cpuMsPerEvent: round((platformSeconds(cpu.seconds) * 1000) / Math.max(1, produced), 2),
    });
    for (const path of failing) this.stack.receiver.answers.set(path, { status: 200 });
  }

  /** Unmeasured load on endpoints of its own: what a partial run (--only) lacks to be warm. */
  async warmUp(seconds: number): Promise<void> {
    const tailnets = Array.from({ length: 100 }, (_, i) => `warm${i}.bench`);
    const setup = await this.fleet.create('warm-up', tailnets, 1, 'nodeCreated');
    this.probe.reset();
    log(`warm-up: ${RATE} events/s for ${seconds} s`);
    const produced = await emitAtRate(this.producer, this.topic, tailnets, { perSecond: RATE, seconds, type: 'nodeCreated' }, this.probe);
    await this.probe.until(produced * (setup.paths.length / tailnets.length), 120_000);
  }

  /** What the stack costs doing nothing: CPU per process over `seconds` without events. */
  async idle(name: string, seconds: number): Promise<void> {
    if (!selected(name)) return;
    this.rss.reset();
    log(`${name}: ${seconds} s without events`);
    const before = this.cpuSample();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const cpu = CpuMeter.between(before, this.cpuSample(), seconds, cpus().length);
    const platform = platformSeconds(cpu.seconds);
    this.scenarios[name] = { seconds, cpuSeconds: cpu.seconds, shareOfOneCore: round(platform / seconds, 3), peakRssMiB: this.rss.read() };
    log(`${name}: CPU seconds ${JSON.stringify(cpu.seconds)}, ${round((100 * platform) / seconds, 1)}% of one core`);
  }

  /** The inbound relay: requests accepted per second, and from the answer to the arrival at the output. */
  async relay(name: string, requests: number, concurrency: number): Promise<void> {
    if (!selected(name)) return;
    this.rss.reset();
    log(`${name}: ${requests} requests, ${concurrency} in flight`);
    const cpuBefore = this.cpuSample();
    const started = Date.now();
    const result = await relayLoad(this.stack, requests, concurrency);
    const cpu = CpuMeter.between(cpuBefore, this.cpuSample(), (Date.now() - started) / 1000, cpus().length);
    this.record(name, {
      ...result,
      eventsPerSecond: result.acceptedPerSecond,
      latencyMs: result.acceptToArrivalMs,
      cpuSeconds: cpu.seconds,
      cpuMsPerEvent: round((platformSeconds(cpu.seconds) * 1000) / Math.max(1, result.arrived), 2),
    });
    log(`${name}: answered in ${JSON.stringify(result.answerMs)} ms; ${result.arrivedPerSecond} arrived/s`);
  }

  /** The most resident memory each service held in any scenario (each scenario's own is in its result). */
  peakRss(): void {
    this.scenarios['peak RSS'] = { peakRssMiB: this.rss.overall };
    log(`peak RSS (MiB): ${JSON.stringify(this.rss.overall)}`);
  }

  /** CPU seconds so far: each service, the broker, the database, and this process (receiver, probe, producer). */
  private cpuSample(): CpuSeconds {
    const own = process.cpuUsage();
    return { ...this.cpu.sample(), bench: (own.user + own.system) / 1e6 };
  }

  private get topic(): string {
    return this.stack.env.DOMAIN_EVENTS_TOPIC!;
  }

  private record(name: string, result: { eventsPerSecond: number; latencyMs: Percentiles | null } & Record<string, unknown>): void {
    const peakRssMiB = this.rss.read();
    log(`${name}: peak RSS (MiB) ${JSON.stringify(peakRssMiB)}`);
    this.scenarios[name] = {
      ...result,
      peakRssMiB,
      ratioToKafkaLimit: round(result.eventsPerSecond / this.limits.kafka.messagesPerSecond, 3),
      ratioToHttpLimit: round(result.eventsPerSecond / this.limits.http.requestsPerSecond, 3),
    };
    const perRequest = typeof result.eventsPerRequest === 'number' ? `, ${result.eventsPerRequest} events per POST` : '';
    log(`${name}: ${result.eventsPerSecond} events/s, latency ${JSON.stringify(result.latencyMs)} ms${perRequest}`);
  }
}

/** CPU seconds of the platform: every group but the bench's own process (control plane and customers). */
function platformSeconds(seconds: CpuSeconds): number {
  return Object.entries(seconds).reduce((sum, [group, used]) => (group === 'bench' ? sum : sum + used), 0);
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function main(): Promise<void> {
  const profiling: Record<string, string> = values.profile ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${resolve(values.profile)}` } : {};
  const stack = await TidingsStack.create('bench', { LOG_LEVEL: 'info', RETRY_SCHEDULE: '5s*100', ...profiling });
  const probe = new DeliveryProbe(stack.receiver);
  const kafka = new Kafka({ clientId: 'bench-control-plane', brokers: stack.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true });
  try {
    await stack.start('egress', 'subscriptions', 'trigger', 'publisher', 'relay');
    await producer.connect();
    const bench = new Bench(stack, kafka, producer, probe, new EndpointFleet(stack, probe));
    const limits = await bench.measureLimits();
    const warmUpSeconds = Number(values['warm-up'] ?? (values.only === undefined ? 0 : 60));
    if (warmUpSeconds > 0) await bench.warmUp(warmUpSeconds);
    await bench.idle('idle stack', Math.max(10, Math.round(60 * SCALE)));
    await bench.throughput('1 endpoint', ['one.bench'], 1, sized(20_000));
    await bench.throughput('100 endpoints', ['hundred.bench'], 100, sized(500));
    await bench.throughput('10,000 endpoints in one tailnet', ['ten-thousand.bench'], sized(10_000), Math.max(2, sized(10)));
    const spread = Array.from({ length: 100 }, (_, i) => `t${i}.bench`);
    await bench.throughput('100 tailnets', spread, 10, sized(5_000));
    await bench.latency(`latency at ${RATE} events/s`, spread, 'nodeDeleted');
    await bench.latency(`latency at ${RATE} events/s, 10% of endpoints failing`, spread, 'nodeApproved', { failingShare: 0.1 });
    await bench.latency(`steady at ${STEADY_RATE} events/s`, spread, 'nodeNeedsApproval', { rate: STEADY_RATE });
    await bench.relay('relay: requests accepted, answer to arrival', sized(5_000), 32);
    bench.peakRss();
    const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30), node: process.version, kafka: '4.3.1 (single KRaft node)', scale: SCALE };
    printReport(bench.scenarios, limits);
    console.log('machine', machine);
    if (values.out) writeFileSync(values.out, `${JSON.stringify({ scenarios: bench.scenarios, limits, machine }, null, 2)}\n`);
  } finally {
    await producer.disconnect().catch(() => undefined);
    await stack.stop();
  }
}

// Interrupted, it exits through 'exit', which stops the services it started (service-process.ts).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
