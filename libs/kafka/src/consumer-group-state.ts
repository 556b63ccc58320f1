import type { Consumer } from 'kafkajs';

/**
 * Where a consumer stands with its group, as its instrumentation events tell it. Only `joined`
 * is ready: a member that crashed (restarting or not), stopped or disconnected consumes
 * nothing. A rebalance in progress keeps `joined`: the member is still in the group, and the
 * rejoin ends it with another GROUP_JOIN.
 */
export type ConsumerGroupState =
  | { kind: 'connected' }
  | { kind: 'joined' }
  | { kind: 'crashed'; error: string; restarting: boolean }
  | { kind: 'stopped' }
  | { kind: 'disconnected' };

export type ConsumerGroupEvent =
  | { type: 'connect' }
  | { type: 'groupJoin' }
  | { type: 'crash'; error: string; restart: boolean }
  | { type: 'stop' }
  | { type: 'disconnect' };

/**
 * The transitions. kafkajs reports a crash as STOP, DISCONNECT, then CRASH (it disconnects
 * first), so the crash, with its reason, is what stays; a restart after it joins again.
 */
export function nextGroupState(state: ConsumerGroupState, event: ConsumerGroupEvent): ConsumerGroupState {
  switch (event.type) {
    case 'connect':
      // A restart after a crash reconnects before it rejoins: keep saying why it is not ready.
      return state.kind === 'crashed' ? state : { kind: 'connected' };
    case 'groupJoin':
      return { kind: 'joined' };
    case 'crash':
      return { kind: 'crashed', error: event.error, restarting: event.restart };
    case 'stop':
      return state.kind === 'crashed' ? state : { kind: 'stopped' };
    case 'disconnect':
      return state.kind === 'crashed' ? state : { kind: 'disconnected' };
  }
}

/** Why a state is not ready, in the words an operator reads; undefined when it is ready. */
export function notReadyReason(state: ConsumerGroupState): string | undefined {
  switch (state.kind) {
    case 'joined':
      return undefined;
    case 'connected':
      return 'connected, not yet joined its group';
    case 'crashed':
      return state.restarting ? `crashed (${state.error}); restarting` : `crashed (${state.error}); not restarting`;
    case 'stopped':
      return 'stopped';
    case 'disconnected':
      return 'disconnected';
  }
}

/** Follows one kafkajs consumer's instrumentation events; `state` is always the latest. */
export class ConsumerGroupWatch {
  private current: ConsumerGroupState = { kind: 'disconnected' };

  constructor(consumer: Consumer) {
    const on = (event: ConsumerGroupEvent) => (this.current = nextGroupState(this.current, event));
    const { CONNECT, GROUP_JOIN, CRASH, STOP, DISCONNECT } = consumer.events;
    consumer.on(CONNECT, () => on({ type: 'connect' }));
    consumer.on(GROUP_JOIN, () => on({ type: 'groupJoin' }));
    consumer.on(CRASH, ({ payload }) => on({ type: 'crash', error: payload.error.message, restart: payload.restart }));
    consumer.on(STOP, () => on({ type: 'stop' }));
    consumer.on(DISCONNECT, () => on({ type: 'disconnect' }));
  }

  get state(): ConsumerGroupState {
    return this.current;
  }
}
