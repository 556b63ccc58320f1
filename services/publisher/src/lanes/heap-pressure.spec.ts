import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeapPressure, readHeap } from './heap-pressure';

describe('HeapPressure', () => {
  it('is too full from the pause level until ten points below it', () => {
    let used = 0;
    let spells = 0;
    const pressure = new HeapPressure(60, { read: () => ({ oldGenerationUsed: used, heapLimit: 200 }), onFull: () => spells++ });
    const at = (u: number) => ((used = u), pressure.tooFull());
    assert.equal(at(100), false);
    assert.equal(at(119), false);
    assert.equal(at(120), true, '60% of the limit');
    assert.equal(at(110), true, 'still above 50%');
    assert.equal(at(101), true);
    assert.equal(at(99), false, 'below 50%: fetch again');
    assert.equal(at(110), false, 'not full again until the pause level');
    assert.equal(spells, 1, 'told once, when it became too full');
    assert.equal(at(125), true);
    assert.equal(spells, 2);
  });
});

describe('readHeap', () => {
  it('reads the old generation, which grows with what is held and not with garbage', () => {
    const before = readHeap();
    assert.ok(before.heapLimit > before.oldGenerationUsed && before.oldGenerationUsed > 0);
    const held = Array.from({ length: 200_000 }, (_, i) => ({ i, s: `record ${i}` }));
    // Two scavenges promote what survives them into the old generation.
    for (let round = 0; round < 2; round++) Array.from({ length: 300_000 }, (_, i) => ({ i }));
    assert.ok(readHeap().oldGenerationUsed - before.oldGenerationUsed > 8 * 1024 * 1024, 'about 16 MiB held');
    assert.equal(held.length, 200_000);
  });
});
