import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TidingsStack } from '@tidings/testing';

const run = promisify(execFile);

/**
 * What a stack has put at rest, as text to search: a pg_dump of its database, its services'
 * log files, and the broker's log segments of its topics. Take the dump first (stopping the
 * stack drops the database); the services are stopped here, so their logs are flushed.
 */
export async function atRest(stack: TidingsStack): Promise<{ pgDump: string; logs: [string, string][]; kafka: string }> {
  const pgDump = readdirSync('/usr/lib/postgresql').map((v) => join('/usr/lib/postgresql', v, 'bin', 'pg_dump'))[0]!;
  const dump = (await run(pgDump, ['--no-owner', stack.env.DATABASE_URL!], { maxBuffer: 256 * 1024 * 1024 })).stdout;
  for (const service of stack.services.values()) await service.stop();
  const logs = filesUnder(stack.logDir).map((f): [string, string] => [f, readFileSync(f, 'latin1')]);
  const kafkaDir = process.env.TIDINGS_TEST_KAFKA_DIR;
  assert.ok(kafkaDir, 'TIDINGS_TEST_KAFKA_DIR is not set: run with npm test');
  const prefix = stack.env.KAFKA_TOPIC_PREFIX!;
  const segments = filesUnder(join(kafkaDir, 'data')).filter((f) => f.includes(`/${prefix}`) && f.endsWith('.log'));
  assert.ok(segments.length > 0, `no log segments of ${prefix}* under ${kafkaDir}`);
  return { pgDump: dump, logs, kafka: segments.map((f) => readFileSync(f, 'latin1')).join('\n') };
}

export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}
