import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './repo-root';

const run = promisify(execFile);

export interface KafkaHandle {
  brokers: string[];
  stop(): Promise<void>;
}

const script = (...parts: string[]) => join(repoRoot(), 'infra', ...parts);

/** Starts a fresh single-node KRaft broker through infra/kafka/start.sh. */
export async function startKafka(options: { port: number; controllerPort: number; dir: string }): Promise<KafkaHandle> {
  await run(script('kafka', 'start.sh'), ['--port', String(options.port), '--controller-port', String(options.controllerPort), '--dir', options.dir, '--fresh'], {
    timeout: 180_000,
  });
  return {
    brokers: [`localhost:${options.port}`],
    stop: async () => {
      await run(script('kafka', 'stop.sh'), ['--dir', options.dir], { timeout: 60_000 });
    },
  };
}
