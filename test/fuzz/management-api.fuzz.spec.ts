import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot, TidingsStack } from '@tidings/testing';

const run = promisify(execFile);

/**
 * The management API fuzzed from its own OpenAPI document by Schemathesis (test/fuzz/
 * requirements.txt): examples, schema-derived positive and negative inputs, and stateful
 * sequences that follow the document's links from a created webhook to the routes taking its
 * `endpointId`. Every check it has: no 5xx, only documented statuses, content types and
 * schemas, invalid input refused, valid input accepted, no route reachable without a key,
 * deleted webhooks gone. The whole stack runs, so the test events it sends become deliveries
 * (failed ones: its URLs do not resolve here) that the deliveries routes list. TIDINGS_FUZZ_EXAMPLES raises the budget (examples per operation);
 * TIDINGS_FUZZ_SEED replays a run.
 */
const examples = process.env.TIDINGS_FUZZ_EXAMPLES ?? '25';
const seed = process.env.TIDINGS_FUZZ_SEED ?? '20261129';

describe('management API, fuzzed from its OpenAPI document', () => {
  let stack: TidingsStack;
  let key: string;

  before(async () => {
    stack = await TidingsStack.create('fuzz');
    await stack.start();
    key = await stack.apiKey('fuzz.example.com');
  });
  after(async () => stack?.stop());

  it('answers as documented, never 5xx, whatever it is sent', async (t) => {
    const st = join(repoRoot(), '.local', 'fuzz-venv', 'bin', 'st');
    const args = [
      '--config-file', join(repoRoot(), 'test', 'fuzz', 'schemathesis.toml'),
      'run', `${stack.apiUrl}/api/v2/openapi.json`,
      '--url', stack.apiUrl,
      '--header', `Authorization: Bearer ${key}`,
      '--checks', 'all',
      '--max-examples', examples,
      '--seed', seed,
      // One worker: CPython 3.11's ast.parse is not thread-safe, and Hypothesis calls it to
      // describe filters ("AST constructor recursion depth mismatch" with two).
      '--workers', '1',
      '--generation-database', 'none',
      '--no-color',
      '--output-truncate', 'false',
    ];
    // Schemathesis keeps a cache in its working directory: in .local, not in the tree.
    const cwd = join(repoRoot(), '.local', 'fuzz');
    mkdirSync(cwd, { recursive: true });
    const answer = await run(st, args, { cwd, maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 }).then(
      (r) => ({ code: 0, output: r.stdout + r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
    );
    assert.equal(answer.code, 0, `schemathesis found problems (seed ${seed}):\n${answer.output}`);
    t.diagnostic(answer.output.split('\n').filter((l) => /passed|Links:|Scenarios:|generated/.test(l)).map((l) => l.trim()).join('; '));
    // The stateful phase must have followed the links from a created webhook: without them
    // every operation taking an endpointId only ever meets 404.
    const links = /API Links:\s+(\d+) covered \/ \d+ selected \/ (\d+) total/.exec(answer.output);
    assert.ok(links && Number(links[1]) >= Number(links[2]) / 2, `too few links followed: ${links?.[0] ?? 'no stateful phase'}`);
  });
});
