import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '@tidings/testing';

const run = promisify(execFile);
const script = (...parts: string[]) => join(repoRoot(), 'infra', ...parts);

/**
 * The run's own broker and database, through the project's scripts, so the faults can kill and
 * restart them: the broker keeps its data directory across a kill -9, the database its cluster.
 */
export class InfraControl {
  databaseUrl = '';

  constructor(
    private readonly dir: string,
    private readonly kafkaPort: number,
    private readonly postgresPort: number,
  ) {}

  get brokers(): string[] {
    return [`localhost:${this.kafkaPort}`];
  }

  get kafkaDir(): string {
    return join(this.dir, 'kafka');
  }

  async start(): Promise<void> {
    await this.startKafka(true);
    const { stdout } = await run(script('postgres', 'start.sh'), ['--port', String(this.postgresPort), '--dir', join(this.dir, 'postgres'), '--fresh'], { timeout: 180_000 });
    this.databaseUrl = stdout.trim().split('\n').pop()!;
  }

  async stop(): Promise<void> {
    await run(script('kafka', 'stop.sh'), ['--dir', this.kafkaDir], { timeout: 60_000 }).catch(() => undefined);
    await run(script('postgres', 'stop.sh'), ['--dir', join(this.dir, 'postgres')], { timeout: 60_000 }).catch(() => undefined);
  }

  /** kill -9 of the broker's JVM: no clean shutdown, no flushed page cache promises. */
  async killKafka(): Promise<void> {
    const pid = Number(readFileSync(join(this.kafkaDir, 'kafka.pid'), 'utf8').trim());
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return;
    }
    for (let i = 0; i < 100; i += 1) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async startKafka(fresh = false): Promise<void> {
    await run(script('kafka', 'start.sh'), ['--port', String(this.kafkaPort), '--controller-port', String(this.kafkaPort + 1), '--dir', this.kafkaDir, ...(fresh ? ['--fresh'] : [])], { timeout: 180_000 });
  }

  /** A fast stop of PostgreSQL (open sessions cut), then a start of the same cluster. */
  async restartPostgres(downMs: number): Promise<void> {
    await run(script('postgres', 'stop.sh'), ['--dir', join(this.dir, 'postgres')], { timeout: 60_000 });
    await new Promise((r) => setTimeout(r, downMs));
    await run(script('postgres', 'start.sh'), ['--port', String(this.postgresPort), '--dir', join(this.dir, 'postgres')], { timeout: 120_000 });
  }
}
