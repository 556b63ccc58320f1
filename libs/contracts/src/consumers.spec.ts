import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONSUMERS, consumersOf, resolveConsumer, type ConsumerName } from './consumers';
import { resolveTopicNames } from './topics';

const kafka = (retryDelaysMs: number[]) => ({ prefix: 'p.', topics: resolveTopicNames({ domainEventsTopic: 'tailnet.events', prefix: 'p.', retryDelaysMs }) });

describe('consumer declarations', () => {
  it('gives every consumer a group of its own', () => {
    const groups = Object.values(CONSUMERS).map((d) => d.group);
    assert.equal(new Set(groups).size, groups.length);
  });

  it('reads each internal topic in a service from one declaration only', () => {
    const names = Object.keys(CONSUMERS) as ConsumerName[];
    for (const service of ['trigger', 'publisher', 'subscriptions', 'relay'] as const) {
      const topics = consumersOf(service, kafka([60_000])).flatMap((c) => c.topics);
      assert.equal(new Set(topics).size, topics.length, `${service} reads a topic twice: ${topics.join(', ')}`);
    }
    assert.ok(names.length >= 9);
  });

  it('applies the prefix to groups and the deployment names to topics', () => {
    const lanes = resolveConsumer('publisherLanes', kafka([]));
    assert.deepEqual(lanes, { name: 'publisherLanes', mode: 'lane', groupId: 'p.tidings.publisher.v1', topics: ['p.tidings.webhook-events.v1'], fetchWaitMs: 500 });
    assert.deepEqual(resolveConsumer('triggerDomainEvents', kafka([])).topics, ['tailnet.events'], 'the control plane topic has no prefix');
  });

  it('runs the retry chain only when the schedule has delays, one topic per distinct delay', () => {
    assert.ok(!consumersOf('publisher', kafka([])).some((c) => c.name === 'publisherRetries'));
    const retries = consumersOf('publisher', kafka([60_000, 60_000, 3_600_000])).find((c) => c.name === 'publisherRetries');
    assert.deepEqual(retries?.topics, ['p.tidings.webhook-retry.1m.v1', 'p.tidings.webhook-retry.1h.v1']);
  });

  it('lists every consumer of a service, and only its own', () => {
    assert.deepEqual(
      consumersOf('subscriptions', kafka([])).map((c) => c.name),
      ['subscriptionsDeliveries', 'subscriptionsRelayRequests', 'subscriptionsCommands'],
    );
    assert.deepEqual(
      consumersOf('trigger', kafka([])).map((c) => c.name),
      ['triggerDomainEvents', 'triggerEndpointView', 'triggerDedupView'],
    );
    assert.deepEqual(
      consumersOf('relay', kafka([])).map((c) => c.name),
      ['relayConfigView', 'relayRouter'],
    );
  });
});
