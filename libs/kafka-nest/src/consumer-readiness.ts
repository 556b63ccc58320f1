import { ConsumerGroupWatch, notReadyReason, type ConsumerObserver } from '@tidings/kafka';
import { notReady, READY, type ReadinessRegistry } from '@tidings/service-runtime';

/**
 * Every consumer of the service becomes a readiness check, `kafka consumer <group>`, ready while
 * it is a member of its group. It is registered when it first connects: a consumer that was
 * made but is never started (a retry chain with no topics) is no part of the service's work.
 */
export function consumerReadiness(registry: ReadinessRegistry): ConsumerObserver {
  return (consumer, groupId) => {
    const watch = new ConsumerGroupWatch(consumer);
    let registered = false;
    consumer.on(consumer.events.CONNECT, () => {
      if (registered) return;
      registered = true;
      registry.register(`kafka consumer ${groupId}`, () => {
        const reason = notReadyReason(watch.state);
        return reason === undefined ? READY : notReady(reason);
      });
    });
  };
}
