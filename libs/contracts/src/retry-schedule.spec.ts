import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { delayLabel, distinctDelays, nextDelay, parseRetrySchedule, type RetrySchedule } from './retry-schedule';

const parse = (text: string): RetrySchedule => {
  const parsed = parseRetrySchedule(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.schedule;
};

describe('parseRetrySchedule', () => {
  it('reads the default: a retry every hour, 24 times', () => {
    const s = parse('1h*24');
    assert.equal(s.delaysMs.length, 24);
    assert.ok(s.delaysMs.every((d) => d === 3_600_000));
    assert.equal(s.jitter, 0);
  });

  it('reads a backoff with repeats and a jitter suffix', () => {
    const s = parse('10s, 1m,10m,1h*23~10%');
    assert.deepEqual(s.delaysMs.slice(0, 4), [10_000, 60_000, 600_000, 3_600_000]);
    assert.equal(s.delaysMs.length, 26);
    assert.equal(s.jitter, 0.1);
    assert.deepEqual(distinctDelays(s), [10_000, 60_000, 600_000, 3_600_000]);
  });

  it('refuses what it cannot read, naming the part', () => {
    for (const [text, part] of [['1x', '"1x"'], ['', '""'], ['1h*0', '"1h*0"'], ['1h~150%', 'jitter'], ['1h*2000', 'more than'], ['1h~5%~5%', 'at most one']] as const) {
      const parsed = parseRetrySchedule(text);
      assert.equal(parsed.ok, false, text);
      if (!parsed.ok) assert.match(parsed.reason, new RegExp(part.replace(/[*"]/g, '.')), text);
    }
  });
});

describe('nextDelay', () => {
  const s = parse('2s,5s*2');

  it('follows the schedule, then is exhausted', () => {
    assert.deepEqual([1, 2, 3, 4].map((a) => nextDelay(s, a)), [2_000, 5_000, 5_000, undefined]);
  });

  it('lets Retry-After shorten a wait but never lengthen it', () => {
    assert.equal(nextDelay(s, 2, { retryAfterMs: 1_000 }), 1_000);
    assert.equal(nextDelay(s, 2, { retryAfterMs: 60_000 }), 5_000);
  });

  it('spreads by the jitter, within its bounds', () => {
    const j = parse('10s~20%');
    assert.equal(nextDelay(j, 1, { random: () => 0 }), 8_000);
    assert.equal(nextDelay(j, 1, { random: () => 1 }), 12_000);
  });
});

describe('delayLabel', () => {
  it('names delays by their largest whole unit', () => {
    assert.deepEqual([3_600_000, 90_000, 60_000, 1_500, 86_400_000].map(delayLabel), ['1h', '90s', '1m', '1500ms', '1d']);
  });
});
