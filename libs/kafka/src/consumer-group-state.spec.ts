import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextGroupState, notReadyReason, type ConsumerGroupEvent, type ConsumerGroupState } from './consumer-group-state';

const run = (events: ConsumerGroupEvent[], from: ConsumerGroupState = { kind: 'disconnected' }) => events.reduce(nextGroupState, from);
const crash = (restart: boolean): ConsumerGroupEvent => ({ type: 'crash', error: 'The group is rebalancing', restart });

describe('consumer group state', () => {
  it('is ready only once the consumer joined its group', () => {
    assert.equal(notReadyReason(run([])), 'disconnected');
    assert.equal(notReadyReason(run([{ type: 'connect' }])), 'connected, not yet joined its group');
    assert.equal(notReadyReason(run([{ type: 'connect' }, { type: 'connect' }, { type: 'groupJoin' }])), undefined);
  });

  it('stays ready through a rebalance: a rejoin is another GROUP_JOIN', () => {
    assert.equal(notReadyReason(run([{ type: 'connect' }, { type: 'groupJoin' }, { type: 'groupJoin' }])), undefined);
  });

  it('keeps the crash as the reason through the STOP and DISCONNECT kafkajs emits around it', () => {
    // kafkajs: onCrash disconnects (STOP, DISCONNECT), then emits CRASH.
    const crashed = run([{ type: 'connect' }, { type: 'groupJoin' }, { type: 'stop' }, { type: 'disconnect' }, crash(false)]);
    assert.equal(notReadyReason(crashed), 'crashed (The group is rebalancing); not restarting');
    assert.equal(notReadyReason(run([{ type: 'stop' }, { type: 'disconnect' }], crashed)), 'crashed (The group is rebalancing); not restarting');
  });

  it('is not ready while restarting after a crash, and ready again once it rejoined', () => {
    const restarting = run([{ type: 'connect' }, { type: 'groupJoin' }, crash(true)]);
    assert.equal(notReadyReason(restarting), 'crashed (The group is rebalancing); restarting');
    // The restart reconnects before it rejoins: still the crash that is reported.
    assert.equal(notReadyReason(run([{ type: 'connect' }], restarting)), 'crashed (The group is rebalancing); restarting');
    assert.equal(notReadyReason(run([{ type: 'connect' }, { type: 'groupJoin' }], restarting)), undefined);
  });

  it('is not ready once stopped or disconnected', () => {
    const joined = run([{ type: 'connect' }, { type: 'groupJoin' }]);
    assert.equal(notReadyReason(run([{ type: 'stop' }], joined)), 'stopped');
    assert.equal(notReadyReason(run([{ type: 'stop' }, { type: 'disconnect' }], joined)), 'disconnected');
    assert.equal(notReadyReason(run([{ type: 'stop' }, { type: 'connect' }], joined)), 'connected, not yet joined its group');
  });
});
