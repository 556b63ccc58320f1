import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port';
import { repoRoot } from './repo-root';
import { startService, type ServiceName, type ServiceProcess } from './service-process';
import { createTestCa, type TestCa } from './test-ca';
import { createTestDatabase, testInfra, uniqueName } from '@tidings/test-env';
import { WebhookReceiver } from './webhook-receiver';

const run = promisify(execFile);

/**
 * The four services as separate processes against the test run's broker and database, each
 * test stack isolated by its own topic prefix, domain-events topic and database, with an
 * HTTPS receiver on loopback whose certificate comes from a CA made for the stack.
 */
/** An answer of the management API, its body parsed. */
export interface ApiAnswer {
  status: number;
  body: unknown;
  contentType: string | null;
}

export class TidingsStack {
  readonly services = new Map<ServiceName, ServiceProcess>();
  readonly receiver: WebhookReceiver;
  readonly ca: TestCa;
  readonly env: Record<string, string>;
  receiverPort = 0;
  private dropDatabase: (() => Promise<void>) | undefined;
  readonly logDir: string;
  private readonly ports: Record<'subscriptions' | 'trigger' | 'publisher' | 'egress' | 'egressAdmin' | 'relay', number>;

  private constructor(label: string, ports: TidingsStack['ports'], env: Record<string, string>) {
    this.logDir = mkdtempSync(join(tmpdir(), `tidings-${label}-`));
    this.ca = createTestCa(join(this.logDir, 'ca'));
    this.receiver = new WebhookReceiver(this.ca);
    this.ports = ports;
    this.env = env;
  }

  static async create(label: string, overrides: Record<string, string> = {}): Promise<TidingsStack> {
    const infra = testInfra();
    const prefix = `${uniqueName(label)}.`;
    const ports = { subscriptions: await freePort(), trigger: await freePort(), publisher: await freePort(), egress: await freePort(), egressAdmin: await freePort(), relay: await freePort() };
    const db = await createTestDatabase(label);
    const stack = new TidingsStack(label, ports, {
      KAFKA_BROKERS: infra.brokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      DOMAIN_EVENTS_TOPIC: `${prefix}tailnet.events`,
      DATABASE_URL: db.url,
      SECRETS_ENCRYPTION_KEYS: `test1:${randomBytes(32).toString('base64')}`,
      SUBSCRIPTIONS_PORT: String(ports.subscriptions),
      TRIGGER_PORT: String(ports.trigger),
      PUBLISHER_PORT: String(ports.publisher),
      EGRESS_PORT: String(ports.egress),
      EGRESS_ADMIN_PORT: String(ports.egressAdmin),
      RELAY_PORT: String(ports.relay),
      EGRESS_PROXY_URL: `http://127.0.0.1:${ports.egress}`,
      LOG_LEVEL: 'debug',
      ...overrides,
    });
    stack.dropDatabase = db.drop;
    stack.receiverPort = await stack.receiver.start();
    Object.assign(stack.env, {
      EGRESS_ALLOW_CIDRS: '127.0.0.0/8,::1/128',
      EGRESS_ALLOWED_PORTS: String(stack.receiverPort),
      EGRESS_EXTRA_CA_FILE: stack.ca.caCertFile,
      ...overrides,
    });
    return stack;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.ports.subscriptions}`;
  }

  /** The relay's public side (inputs at `/in/{inputId}`); started only when asked for by name. */
  get relayUrl(): string {
    return `http://127.0.0.1:${this.ports.relay}`;
  }

  get receiverUrl(): string {
    return `https://localhost:${this.receiverPort}/webhook`;
  }

  healthUrl(name: ServiceName): string {
    const port = name === 'egress' ? this.ports.egressAdmin : this.ports[name];
    return `http://127.0.0.1:${port}/health`;
  }

  /** A service's readiness endpoint (the egress serves it on its admin port). */
  readyUrl(name: ServiceName): string {
    return this.healthUrl(name).replace(/\/health$/, '/ready');
  }

  /** Drops the stack's database now, forcing out the services' sessions (an outage of it). */
  async dropDatabaseNow(): Promise<void> {
    await this.dropDatabase?.();
  }

  /** A service's Prometheus endpoint (the egress serves it on its admin port). */
  metricsUrl(name: ServiceName): string {
    return this.healthUrl(name).replace(/\/health$/, '/metrics');
  }

  async start(...names: ServiceName[]): Promise<void> {
    for (const name of names.length > 0 ? names : (['egress', 'subscriptions', 'trigger', 'publisher'] as const)) {
      this.services.set(name, await startService(name, this.env, { healthUrl: this.healthUrl(name), logDir: this.logDir }));
    }
  }

  /**
   * Another instance of a service (a second publisher, say): same environment, its own HTTP
   * port and log file. Not stopped by stop(); the caller owns it.
   */
  async startInstance(name: ServiceName, label: string): Promise<ServiceProcess> {
    const port = await freePort();
    const portVar = { subscriptions: 'SUBSCRIPTIONS_PORT', trigger: 'TRIGGER_PORT', publisher: 'PUBLISHER_PORT', egress: 'EGRESS_ADMIN_PORT', relay: 'RELAY_PORT' }[name];
    return startService(name, { ...this.env, [portVar]: String(port), TRIGGER_INSTANCE_ID: label }, { healthUrl: `http://127.0.0.1:${port}/health`, logDir: join(this.logDir, label) });
  }

  /** `npm run tidings -- keys create`, as an operator runs it; returns stdout. */
  async cli(...args: string[]): Promise<{ stdout: string; stderr: string }> {
    return run(process.execPath, [join(repoRoot(), 'dist/services/subscriptions/src/cli/tidings-cli.js'), ...args], { env: { PATH: process.env.PATH ?? '', ...this.env } });
  }

  /** A new API key for `tailnet`, minted with the CLI as an operator does (login `admin@<tailnet>` unless given). */
  async apiKey(tailnet: string, login = `admin@${tailnet}`): Promise<string> {
    return (await this.cli('keys', 'create', '--tailnet', tailnet, '--login', login)).stdout.trim();
  }

  async api(method: string, path: string, key: string | undefined, body?: unknown): Promise<ApiAnswer> {
    const res = await fetch(`${this.apiUrl}${path}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined, contentType: res.headers.get('content-type') };
  }

  async stop(): Promise<void> {
    for (const service of [...this.services.values()].reverse()) await service.stop();
    this.services.clear();
    await this.receiver.stop();
    await this.dropDatabase?.();
  }
}
