import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startService, type ServiceName, type ServiceProcess } from '@tidings/testing';
import type { Random } from './random';

export const SERVICES: ServiceName[] = ['egress', 'subscriptions', 'trigger', 'publisher'];
const PORT_VARIABLE: Record<ServiceName, string> = { subscriptions: 'SUBSCRIPTIONS_PORT', trigger: 'TRIGGER_PORT', publisher: 'PUBLISHER_PORT', egress: 'EGRESS_ADMIN_PORT', relay: 'RELAY_PORT' };

/** One instance of a service, on ports of its own that it keeps across restarts. */
export class Instance {
  process: ServiceProcess | undefined;
  restarts = 0;
  /** Set while the harness itself stops the instance; an exit without it is a crash to restart. */
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  peakRssMiB = 0;

  constructor(
    readonly name: ServiceName,
    readonly index: number,
    readonly httpPort: number,
    readonly env: Record<string, string>,
    private readonly logDir: string,
    private readonly random: Random,
    private readonly log: (line: string) => void,
  ) {}

  get label(): string {
    return `${this.name}-${this.index}`;
  }

  get metricsAddress(): string {
    return `127.0.0.1:${this.httpPort}`;
  }

  get up(): boolean {
    return this.process !== undefined && this.process.child.exitCode === null && this.process.child.signalCode === null;
  }

  async start(): Promise<void> {
    this.stopping = false;
    const healthUrl = `http://127.0.0.1:${this.httpPort}/health`;
    this.process = await startService(this.name, this.env, { healthUrl, logDir: join(this.logDir, this.label) });
    const started = this.process;
    started.child.once('exit', (code, signal) => {
      if (this.stopping || this.process !== started) return;
      // A supervisor (Kubernetes) restarts a crashed container after a short, varying delay.
      const delay = this.random.between(500, 4_000);
      this.log(`${this.label} exited (${signal ?? code}); restarting in ${Math.round(delay)} ms`);
      this.restartTimer = setTimeout(() => void this.restart(), delay);
    });
  }

  private async restart(): Promise<void> {
    this.restarts += 1;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.start();
        return;
      } catch (error) {
        // Its dependencies may be down too (a broker restart under way): try again, as a supervisor would.
        this.log(`${this.label} did not come back (${(error as Error).message.split('\n')[0]}); attempt ${attempt}`);
        if (this.stopping) return;
        await new Promise((r) => setTimeout(r, 2_000));
      }
    }
  }

  /** kill -9: the supervisor brings it back. */
  async kill(): Promise<void> {
    await this.process?.kill();
  }

  /** A clean stop and start, as a rolling update does. */
  async roll(): Promise<void> {
    this.stopping = true;
    await this.process?.stop();
    this.restarts += 1;
    await this.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    await this.process?.stop();
  }

  /** Resident memory now (MiB), and the peak seen by `sampleRss`. */
  rssMiB(): number {
    const pid = this.process?.child.pid;
    if (!pid || !this.up) return 0;
    try {
      const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      return Math.round(Number(kb ?? 0) / 1024);
    } catch {
      return 0;
    }
  }

  sampleRss(): void {
    this.peakRssMiB = Math.max(this.peakRssMiB, this.rssMiB());
  }
}

/**
 * Two instances of each service against one broker and database, as a Deployment with two
 * replicas runs them: each publisher talks to the egress of its own index (as a Service would
 * route it to some egress), each trigger has its own instance id (its transactional ids).
 */
export class ServiceFleet {
  readonly instances: Instance[] = [];

  private constructor() {}

  static async create(options: { env: Record<string, string>; replicas: number; logDir: string; random: Random; log: (line: string) => void }): Promise<ServiceFleet> {
    const fleet = new ServiceFleet();
    const egressPorts: number[] = [];
    for (let i = 0; i < options.replicas; i += 1) egressPorts.push(await freePort());
    for (const name of SERVICES) {
      for (let i = 0; i < options.replicas; i += 1) {
        const httpPort = await freePort();
        const env: Record<string, string> = {
          ...options.env,
          [PORT_VARIABLE[name]]: String(httpPort),
          EGRESS_PORT: String(egressPorts[i]),
          EGRESS_PROXY_URL: `http://127.0.0.1:${egressPorts[i]}`,
          TRIGGER_INSTANCE_ID: `chaos-${i}`,
        };
        fleet.instances.push(new Instance(name, i, httpPort, env, options.logDir, options.random, options.log));
      }
    }
    return fleet;
  }

  of(name: ServiceName): Instance[] {
    return this.instances.filter((i) => i.name === name);
  }

  async start(): Promise<void> {
    for (const instance of this.instances) await instance.start();
  }

  async stop(): Promise<void> {
    for (const instance of [...this.instances].reverse()) await instance.stop();
  }

  /** The management API of an instance that is up. */
  apiUrl(): string {
    const up = this.of('subscriptions').find((i) => i.up) ?? this.of('subscriptions')[0]!;
    return `http://127.0.0.1:${up.httpPort}`;
  }
}
