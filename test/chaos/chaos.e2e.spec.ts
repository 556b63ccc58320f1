import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePort, repoRoot } from '@tidings/testing';
import { formatReport } from './chaos-report';
import { runChaos } from './chaos-run';

/**
 * The bounded chaos run of `npm test`: a fixed seed, a few minutes, every fault kind once
 * (test.sh runs this file alone, after the other tiers: it needs both cores). The long run is
 * `npm run chaos -- --minutes 30`. TIDINGS_CHAOS_SEED and TIDINGS_CHAOS_MINUTES change it.
 */
const seed = Number(process.env.TIDINGS_CHAOS_SEED ?? '17');
const minutes = Number(process.env.TIDINGS_CHAOS_MINUTES ?? '4');

describe('chaos', () => {
  it(`loses nothing, duplicates nothing and alerts as it should while faults follow seed ${seed}`, { timeout: (minutes + 12) * 60_000 }, async (t) => {
    const result = await runChaos({
      minutes,
      seed,
      rate: 10,
      dir: join(repoRoot(), '.local', 'test-chaos'),
      kafkaPort: await freePort(),
      postgresPort: await freePort(),
      netem: process.env.TIDINGS_IN_TEST_NETNS === '1',
      log: (line) => t.diagnostic(line),
    });
    const report = formatReport(result);
    t.diagnostic(report);
    assert.ok(result.ok, report);
  });
});
