/**
 * npm run chaos -- [--minutes 5] [--seed S] [--rate 20] [--out report.json]
 *
 * Runs the whole platform (two instances of each service, its own Kafka and PostgreSQL)
 * under load while faults follow a seeded schedule, then prints the ledger. Exits 1 on any
 * breach, naming the seed that replays the run. infra/scripts/chaos.sh runs it inside a
 * network namespace of its own (loopback only), where it may add loopback latency.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '@tidings/testing';
import { formatReport } from './chaos-report';
import { runChaos } from './chaos-run';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    seed: { type: 'string' },
    rate: { type: 'string', default: '20' },
    out: { type: 'string' },
  },
});

const seed = values.seed === undefined ? Math.floor(Math.random() * 1_000_000) : Number(values.seed);
const started = Date.now();
const log = (line: string) => console.error(`[chaos ${Math.round((Date.now() - started) / 1_000)}s] ${line}`);

async function main(): Promise<void> {
  const result = await runChaos({
    minutes: Number(values.minutes),
    seed,
    rate: Number(values.rate),
    dir: process.env.TIDINGS_CHAOS_DIR ?? join(repoRoot(), '.local', 'chaos'),
    kafkaPort: Number(process.env.TIDINGS_CHAOS_KAFKA_PORT ?? 39092),
    postgresPort: Number(process.env.TIDINGS_CHAOS_POSTGRES_PORT ?? 35432),
    netem: process.env.TIDINGS_IN_TEST_NETNS === '1',
    log,
  });
  console.log(formatReport(result));
  if (values.out) writeFileSync(values.out, JSON.stringify(result, null, 2));
  process.exit(result.ok ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
