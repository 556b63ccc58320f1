import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, context, createContextKey } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { Lane } from './lane';

const tick = () => new Promise((r) => setImmediate(r));
const noError = (error: unknown): void => assert.fail(`a step failed: ${String(error)}`);

describe('Lane.serially', () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

  it('runs steps one at a time, in the order they came, and idle() waits for the last', async () => {
    const lane = new Lane('ep', 0);
    const log: string[] = [];
    let running = 0;
    for (const n of [1, 2, 3]) {
      lane.serially(async () => {
        running++;
        assert.equal(running, 1, 'two steps ran at once');
        log.push(`start ${n}`);
        await tick();
        log.push(`end ${n}`);
        running--;
      }, noError);
    }
    await lane.idle();
    assert.deepEqual(log, ['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  it('starts a step on a later tick, not inside the caller', async () => {
    const lane = new Lane('ep', 0);
    let ran = false;
    lane.serially(async () => void (ran = true), noError);
    assert.equal(ran, false);
    await lane.idle();
    assert.equal(ran, true);
  });

  it('hands a failed step to its own onError and goes on with the next', async () => {
    const lane = new Lane('ep', 0);
    const errors: unknown[] = [];
    const ran: number[] = [];
    lane.serially(() => Promise.reject(new Error('boom')), (e) => errors.push(e));
    lane.serially(() => {
      throw new Error('sync');
    }, (e) => errors.push(e));
    lane.serially(async () => void ran.push(3), noError);
    await lane.idle();
    assert.deepEqual(errors.map((e) => (e as Error).message), ['boom', 'sync']);
    assert.deepEqual(ran, [3]);
  });

  it('takes steps queued while it runs, and starts again after going idle', async () => {
    const lane = new Lane('ep', 0);
    const ran: number[] = [];
    lane.serially(async () => {
      ran.push(1);
      lane.serially(async () => void ran.push(2), noError);
    }, noError);
    await lane.idle();
    lane.serially(async () => void ran.push(3), noError);
    await lane.idle();
    assert.deepEqual(ran, [1, 2, 3]);
  });

  it('runs steps outside the caller\'s context', async () => {
    const key = createContextKey('caller');
    const lane = new Lane('ep', 0);
    const seen: unknown[] = [];
    context.with(ROOT_CONTEXT.setValue(key, 'span of the record that arrived'), () => {
      lane.serially(async () => void seen.push(context.active().getValue(key)), noError);
    });
    await lane.idle();
    assert.deepEqual(seen, [undefined]);
  });

  it('keeps order across many thousand waiting steps (the finished front is dropped as it goes)', async () => {
    const lane = new Lane('ep', 0);
    const ran: number[] = [];
    let gate!: () => void;
    lane.serially(() => new Promise<void>((r) => (gate = r)), noError);
    for (let i = 0; i < 5000; i++) lane.serially(async () => {
      ran.push(i);
      if (i % 1000 === 0) for (let j = 0; j < 3; j++) lane.serially(async () => void ran.push(-1), noError);
    }, noError);
    await tick();
    gate();
    await lane.idle();
    const inOrder = ran.filter((n) => n >= 0);
    assert.equal(inOrder.length, 5000);
    assert.ok(inOrder.every((n, i) => n === i), 'a step ran out of order');
    assert.equal(ran.length, 5015);
    assert.deepEqual(ran.slice(-15), Array(15).fill(-1));
  });
});
