import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SendSlots, type ReleaseSlot, type SendPriority } from './send-slots';

/** A slot as a promise, the way a caller that waits alone would take it. */
const acquire = (slots: SendSlots, priority: SendPriority) => new Promise<ReleaseSlot>((resolve) => slots.whenFree(priority, resolve));

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('SendSlots', () => {
  it('grants up to its capacity at once, then makes callers wait', async () => {
    const slots = new SendSlots(2);
    const granted: string[] = [];
    for (const name of ['a', 'b', 'c']) void acquire(slots, 'normal').then(() => granted.push(name));
    await settle();
    assert.deepEqual(granted, ['a', 'b']);
    assert.equal(slots.inUse, 2);
    assert.equal(slots.waiting, 1);
  });

  it('hands a released slot to the longest waiter, urgent ones first', async () => {
    const slots = new SendSlots(1);
    const first = await acquire(slots, 'normal');
    const order: string[] = [];
    const releases = new Map<string, ReleaseSlot>();
    for (const [name, priority] of [['n1', 'normal'], ['n2', 'normal'], ['u1', 'urgent'], ['u2', 'urgent']] as const) {
      void acquire(slots, priority).then((release) => {
        order.push(name);
        releases.set(name, release);
      });
    }
    first();
    for (const name of ['u1', 'u2', 'n1']) {
      await settle();
      releases.get(name)!();
    }
    await settle();
    assert.deepEqual(order, ['u1', 'u2', 'n1', 'n2']);
    assert.equal(slots.inUse, 1);
    assert.equal(slots.waiting, 0);
  });

  it('counts a slot released twice once', async () => {
    const slots = new SendSlots(1);
    const release = await acquire(slots, 'normal');
    release();
    release();
    assert.equal(slots.inUse, 0);
    await acquire(slots, 'normal');
    const late = acquire(slots, 'normal');
    let got = false;
    void late.then(() => (got = true));
    await settle();
    assert.equal(got, false, 'a double release must not create a second slot');
  });

  it('serves tens of thousands of waiters in order', async () => {
    const slots = new SendSlots(1);
    let release = await acquire(slots, 'normal');
    const order: number[] = [];
    const waiters = Array.from({ length: 20_000 }, (_, i) =>
      acquire(slots, 'normal').then((r) => {
        order.push(i);
        return r;
      }),
    );
    for (const waiter of waiters) {
      release();
      release = await waiter;
    }
    assert.deepEqual(order, Array.from({ length: 20_000 }, (_, i) => i));
  });

  it('calls a waiter back outside the call that frees or asks for its slot', async () => {
    const slots = new SendSlots(1);
    const taken: string[] = [];
    let releaseFirst: ReleaseSlot | undefined;
    slots.whenFree('normal', (release) => {
      taken.push('first');
      releaseFirst = release;
    });
    assert.equal(taken.length, 0, 'not within whenFree, even with a slot free');
    await settle();
    slots.whenFree('normal', () => taken.push('second'));
    releaseFirst!();
    assert.deepEqual(taken, ['first'], 'not within the release');
    await settle();
    assert.deepEqual(taken, ['first', 'second']);
    assert.equal(slots.inUse, 1);
  });

  it('refuses a capacity that is not a positive integer', () => {
    assert.throws(() => new SendSlots(0), /positive integer/);
    assert.throws(() => new SendSlots(1.5), /positive integer/);
  });
});
