import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { repoRoot, TidingsStack } from '@tidings/testing';

const run = promisify(execFile);

/** The scripts the chart's `helm test` pods run, against the services as processes. */
describe('helm test checks (infra/helm-test)', () => {
  let stack: TidingsStack;
  const check = (script: string, ...args: string[]) => run(process.execPath, [join(repoRoot(), 'dist/infra/helm-test', script), ...args], { env: {}, timeout: 90_000 });

  before(async () => {
    stack = await TidingsStack.create('helmtest');
    await stack.start('egress', 'subscriptions');
  });

  after(async () => {
    await stack?.stop();
  });

  it('api-answers passes against the API', async () => {
    const { stdout } = await check('api-answers.js', stack.apiUrl);
    assert.match(stdout, /^ok: GET .*\/api\/v2\/openapi\.json: 200, OpenAPI 3\.1/);
  });

  it('egress-refuses passes: the egress refuses 10.0.0.1 with reason code 1000', async () => {
    // On a port the stack's egress allows (only its receiver's), so the address is what is refused.
    const target = `http://10.0.0.1:${stack.receiverPort}/`;
    const { stdout } = await check('egress-refuses.js', stack.env.EGRESS_PROXY_URL!, target);
    assert.match(stdout, /^ok: GET http:\/\/10\.0\.0\.1:\d+\/ through .*: 403, X-Tidings-Reason-Code 1000/);
  });

  it('a check without its argument exits 2 with its usage', async () => {
    await assert.rejects(check('api-answers.js'), (error: { code?: number; stdout?: string }) => error.code === 2 && /usage: .*<API base URL>/.test(error.stdout ?? ''));
  });
});
