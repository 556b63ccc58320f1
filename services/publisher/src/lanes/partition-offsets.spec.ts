import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PartitionOffsets } from './partition-offsets';

describe('PartitionOffsets', () => {
  it('commits up to the first unsettled record, whatever order they settle in', () => {
    const p = new PartitionOffsets();
    assert.equal(p.commitPoint(), undefined);
    for (const o of [10, 11, 12, 13]) p.accept(o);
    assert.equal(p.commitPoint(), 10);
    p.settle(12);
    p.settle(11);
    assert.equal(p.commitPoint(), 10);
    p.settle(10);
    assert.equal(p.commitPoint(), 13);
    assert.equal(p.pending, 1);
    p.settle(13);
    assert.equal(p.commitPoint(), 14);
    assert.equal(p.pending, 0);
  });

  it('stays right across compaction', () => {
    const p = new PartitionOffsets();
    for (let o = 0; o < 5_000; o++) p.accept(o);
    for (let o = 0; o < 4_000; o++) p.settle(o);
    assert.equal(p.commitPoint(), 4_000);
    assert.equal(p.pending, 1_000);
    for (let o = 4_999; o >= 4_000; o--) p.settle(o);
    assert.equal(p.commitPoint(), 5_000);
  });

  it('refuses a record read before (kafkajs reads a kept partition again after a rebalance), so nothing settles twice', () => {
    const p = new PartitionOffsets();
    for (const o of [10, 11, 12]) assert.equal(p.accept(o), true);
    p.settle(11);
    // Read again from the committed offset: already in this instance's lanes.
    for (const o of [10, 11, 12]) assert.equal(p.accept(o), false);
    assert.equal(p.accept(13), true);
    assert.equal(p.pending, 4, "10 is not settled: 11 waits behind it");
    for (const o of [10, 12, 13]) p.settle(o);
    assert.equal(p.commitPoint(), 14);
    assert.equal(p.pending, 0);
  });
});
