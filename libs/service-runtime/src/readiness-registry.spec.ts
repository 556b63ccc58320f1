import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cachedCheck } from './cached-check';
import { notReady, READY, ReadinessRegistry } from './readiness-registry';

describe('ReadinessRegistry', () => {
  it('is ready when every check is, and lists them by name', async () => {
    const registry = new ReadinessRegistry();
    registry.register('a', () => READY);
    registry.register('b', async () => READY);
    assert.deepEqual(await registry.evaluate(), { ready: true, checks: ['a', 'b'], notReady: [] });
  });

  it('names each check that is not ready, with its reason', async () => {
    const registry = new ReadinessRegistry();
    registry.register('kafka consumer g', () => notReady('stopped'));
    registry.register('postgres', () => READY);
    registry.register('proxy listener', async () => notReady('not listening on port 9090'));
    const report = await registry.evaluate();
    assert.equal(report.ready, false);
    assert.deepEqual(report.notReady, [
      { name: 'kafka consumer g', reason: 'stopped' },
      { name: 'proxy listener', reason: 'not listening on port 9090' },
    ]);
  });

  it('counts a check that throws as not ready, with the error as its reason', async () => {
    const registry = new ReadinessRegistry();
    registry.register('sync throw', () => {
      throw new Error('boom');
    });
    registry.register('rejects', () => Promise.reject(new Error('connection refused')));
    const { notReady: failed } = await registry.evaluate();
    assert.deepEqual(failed, [
      { name: 'sync throw', reason: 'boom' },
      { name: 'rejects', reason: 'connection refused' },
    ]);
  });

  it('counts a check that does not answer in time as not ready', async () => {
    const registry = new ReadinessRegistry(50);
    registry.register('hangs', () => new Promise(() => undefined));
    registry.register('slow', () => new Promise((resolve) => setTimeout(() => resolve(READY), 200)), { timeoutMs: 20 });
    const started = Date.now();
    const { notReady: failed } = await registry.evaluate();
    assert.ok(Date.now() - started < 150, 'the checks run at once, each bounded by its own timeout');
    assert.deepEqual(failed, [
      { name: 'hangs', reason: 'no answer within 50 ms' },
      { name: 'slow', reason: 'no answer within 20 ms' },
    ]);
  });

  it('is ready with no checks at all', async () => {
    assert.equal((await new ReadinessRegistry().evaluate()).ready, true);
  });

  it('refuses a second check of the same name', () => {
    const registry = new ReadinessRegistry();
    registry.register('postgres', () => READY);
    assert.throws(() => registry.register('postgres', () => READY), /"postgres" is registered twice/);
  });
});

describe('cachedCheck', () => {
  it('runs the check once per interval and shares a run in flight', async () => {
    let clock = 0;
    let runs = 0;
    const waiting: (() => void)[] = [];
    const answerAll = () => waiting.splice(0).forEach((answer) => answer());
    const check = cachedCheck(
      () => {
        runs += 1;
        return new Promise((resolve) => waiting.push(() => resolve(READY)));
      },
      1_000,
      () => clock,
    );
    const first = check();
    clock = 5_000; // still in flight: shared, however long it takes
    const second = check();
    assert.equal(runs, 1, 'a run in flight is shared');
    answerAll();
    assert.deepEqual(await Promise.all([first, second]), [READY, READY]);
    clock = 5_900; // answered less than 1 s ago
    const cached = check();
    assert.equal(runs, 1, 'an answer is reused for the interval');
    answerAll();
    await cached;
    clock = 6_001;
    const fresh = check();
    assert.equal(runs, 2, 'asked again once the interval passed');
    answerAll();
    await fresh;
  });

  it('caches a failure for the interval too (a down database is not asked on every probe)', async () => {
    let clock = 0;
    let runs = 0;
    const check = cachedCheck(
      () => {
        runs += 1;
        return Promise.reject(new Error('down'));
      },
      1_000,
      () => clock,
    );
    await assert.rejects(Promise.resolve(check()), /down/);
    clock = 500;
    await assert.rejects(Promise.resolve(check()), /down/);
    assert.equal(runs, 1);
  });
});
