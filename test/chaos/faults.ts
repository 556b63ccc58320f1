import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestDnsServer } from '@tidings/testing';
import type { EventSource } from './event-source';
import type { InfraControl } from './infra-control';
import type { Random } from './random';
import type { ReceiverFleet } from './receiver-fleet';
import { SERVICES, type ServiceFleet } from './service-fleet';

const run = promisify(execFile);

export type FaultKind = 'kill' | 'roll' | 'broker' | 'postgres' | 'receiverDown' | 'dns' | 'latency' | 'badInput';
export const FAULT_KINDS: FaultKind[] = ['kill', 'roll', 'broker', 'postgres', 'receiverDown', 'dns', 'latency', 'badInput'];

export interface PlannedFault {
  kind: FaultKind;
  /** Seconds from the start of the run. */
  at: number;
  /** How long it holds, in seconds (0 for an instant one). */
  seconds: number;
}

/** What a fault did, for the report and the alert checks. */
export interface InjectedFault extends PlannedFault {
  detail: string;
  startedAt: Date;
  endedAt: Date;
  /** Set when the fault could not be carried out (a breach of the run, reported). */
  failed?: boolean;
}

/**
 * The schedule: a quiet stretch first (no fault, no alert may fire), then one fault after
 * another with a gap between, each kind at least once when there is time, in a seeded order.
 */
export function planFaults(random: Random, totalSeconds: number, options: { quietSeconds: number; netem: boolean }): PlannedFault[] {
  const kinds = FAULT_KINDS.filter((k) => k !== 'latency' || options.netem);
  const plan: PlannedFault[] = [];
  let at = options.quietSeconds;
  // Every kind once (shuffled), then random ones while time is left; the last minute stays free to settle.
  const order = random.shuffled(kinds);
  for (let i = 0; at < totalSeconds - 60; i += 1) {
    const kind = i < order.length ? order[i]! : random.pick(kinds);
    const seconds = { kill: 0, roll: 0, broker: random.between(3, 8), postgres: random.between(2, 6), receiverDown: random.between(10, 25), dns: random.between(20, 35), latency: random.between(10, 20), badInput: 0 }[kind];
    plan.push({ kind, at: Math.round(at), seconds: Math.round(seconds) });
    at += seconds + random.between(8, 20);
  }
  return plan;
}

export interface FaultTargets {
  fleet: ServiceFleet;
  infra: InfraControl;
  receivers: ReceiverFleet;
  dns: TestDnsServer;
  events: EventSource;
  log: (line: string) => void;
}

/** Carries out one planned fault and undoes it after its duration. */
export async function inject(fault: PlannedFault, targets: FaultTargets, random: Random): Promise<InjectedFault> {
  const startedAt = new Date();
  const hold = () => new Promise((r) => setTimeout(r, fault.seconds * 1_000));
  let detail = '';
  switch (fault.kind) {
    case 'kill': {
      const victim = random.pick(targets.fleet.instances.filter((i) => i.up));
      detail = `kill -9 ${victim.label}`;
      await victim.kill();
      break;
    }
    case 'roll': {
      const name = random.pick(SERVICES);
      detail = `rolling restart of ${name}`;
      for (const instance of targets.fleet.of(name)) await instance.roll();
      break;
    }
    case 'broker':
      detail = `kill -9 of the broker, back after ${fault.seconds} s`;
      await targets.infra.killKafka();
      await hold();
      await targets.infra.startKafka();
      break;
    case 'postgres':
      detail = `PostgreSQL stopped for ${fault.seconds} s`;
      await targets.infra.restartPostgres(fault.seconds * 1_000);
      break;
    case 'receiverDown': {
      const flaky = targets.receivers.all().filter((e) => e.kind === 'flaky');
      const down = flaky.filter(() => random.chance(0.5));
      if (down.length === 0 && flaky.length > 0) down.push(random.pick(flaky));
      detail = `${down.length} flaky endpoint(s) answer 503 for ${fault.seconds} s`;
      for (const e of down) targets.receivers.setDown(e.path, true);
      await hold();
      for (const e of down) targets.receivers.setDown(e.path, false);
      break;
    }
    case 'dns':
      detail = `DNS answers nothing for ${fault.seconds} s`;
      targets.dns.silent = true;
      await hold();
      targets.dns.silent = false;
      break;
    case 'latency': {
      // netem adds a fixed delay; where the kernel lacks it (this project's CI VM does), tbf
      // squeezes loopback to a rate that queues and drops, which TCP turns into latency.
      const ms = Math.round(random.between(10, 40));
      const netem = ['netem', 'delay', `${ms}ms`];
      const tbf = ['tbf', 'rate', '40mbit', 'burst', '64kb', 'latency', `${ms}ms`];
      const used = await run('tc', ['qdisc', 'add', 'dev', 'lo', 'root', ...netem]).then(
        () => 'netem',
        () => run('tc', ['qdisc', 'add', 'dev', 'lo', 'root', ...tbf]).then(() => 'tbf'),
      );
      detail = used === 'netem' ? `${ms} ms added to loopback for ${fault.seconds} s (tc netem)` : `loopback squeezed to 40 Mbit/s, ${ms} ms queue, for ${fault.seconds} s (tc tbf; no netem in this kernel)`;
      try {
        await hold();
      } finally {
        await run('tc', ['qdisc', 'del', 'dev', 'lo', 'root']);
      }
      break;
    }
    case 'badInput': {
      const count = Math.round(random.between(5, 20));
      detail = `${count} unusable domain events`;
      await targets.events.sendBad(count);
      break;
    }
  }
  targets.log(`fault: ${detail}`);
  return { ...fault, detail, startedAt, endedAt: new Date() };
}
