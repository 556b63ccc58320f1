import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { relayDataKeyLifetimeMs, relayDataKeyUseMs, scheduleSpanMs } from './relay-data-keys';
import { parseRetrySchedule, type RetrySchedule } from './retry-schedule';
import { resolveTopicNames, topicSpecs } from './topics';

const parse = (text: string): RetrySchedule => {
  const parsed = parseRetrySchedule(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.schedule;
};
const HOUR = 3_600_000;

describe('relay data key lifetimes', () => {
  it('keeps a key of the default schedule for its hour of use, the 24 hours of retries and an hour more', () => {
    const schedule = parse('1h*24');
    assert.deepEqual([scheduleSpanMs(schedule), relayDataKeyUseMs(schedule), relayDataKeyLifetimeMs(schedule)], [24 * HOUR, HOUR, 26 * HOUR]);
  });

  it('counts the jitter at its longest, rounding up as the chart does', () => {
    const schedule = parse('10s,1m,10m,1h*23~10%');
    assert.equal(scheduleSpanMs(schedule), 91_817_000);
    assert.equal(relayDataKeyLifetimeMs(schedule), 91_817_000 + 2 * HOUR);
    assert.equal(scheduleSpanMs(parse('1ms~7%')), 2, '1.07 ms rounds up');
  });

  it('shortens the use of a key to a short schedule, never below 10 s', () => {
    assert.deepEqual([relayDataKeyUseMs(parse('1m*5')), relayDataKeyLifetimeMs(parse('1m*5'))], [300_000, 900_000]);
    assert.deepEqual([relayDataKeyUseMs(parse('1s*2')), relayDataKeyLifetimeMs(parse('1s*2'))], [10_000, 22_000]);
    const none: RetrySchedule = { delaysMs: [], jitter: 0 };
    assert.deepEqual([relayDataKeyUseMs(none), relayDataKeyLifetimeMs(none)], [10_000, 20_000], 'no retries: the first attempts only');
  });

  it('gives the data-keys topic that retention, rolling a segment per key use', () => {
    const schedule = parse('1h*24');
    const names = resolveTopicNames({ domainEventsTopic: 'tailnet.events', prefix: 'p.', retryDelaysMs: schedule.delaysMs });
    const spec = topicSpecs(names, schedule).find((t) => t.name === 'p.tidings.relay-data-keys.v1');
    assert.deepEqual(spec, { name: 'p.tidings.relay-data-keys.v1', partitions: 1, config: { 'retention.ms': String(26 * HOUR), 'segment.ms': String(HOUR) } });
  });
});
