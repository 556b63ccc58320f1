import type { EndpointConfigEvent } from '@tidings/contracts';
import type { EntityManager } from 'typeorm';
import { EndpointEntity } from './endpoint.entity';

/**
 * Applies a config event to the `endpoints` read model, in the writer's transaction (and, for
 * a rebuild, while replaying the store). The event store stays the source of truth.
 */
export async function projectEvent(manager: EntityManager, event: EndpointConfigEvent): Promise<void> {
  const at = new Date(event.occurredAt);
  const where = { endpointId: event.endpointId };
  switch (event.type) {
    case 'endpointCreated':
      await manager.insert(EndpointEntity, {
        endpointId: event.endpointId,
        tailnet: event.tailnet,
        endpointUrl: event.endpointUrl,
        providerType: event.providerType,
        rateLimit: event.rateLimit ?? null,
        creatorLoginName: event.actor,
        subscriptions: event.subscriptions,
        status: 'enabled',
        disabledReason: null,
        secret: event.secret,
        previousSecret: null,
        version: event.version,
        created: at,
        lastModified: at,
      });
      return;
    case 'endpointSubscriptionsChanged':
      await manager.update(EndpointEntity, where, { subscriptions: event.subscriptions, version: event.version, lastModified: at });
      return;
    case 'endpointRateLimitChanged':
      await manager.update(EndpointEntity, where, { rateLimit: event.rateLimit, version: event.version, lastModified: at });
      return;
    case 'endpointSecretRotated': {
      const current = await manager.findOneByOrFail(EndpointEntity, where);
      await manager.update(EndpointEntity, where, {
        secret: event.secret,
        previousSecret: event.previousSecretValidUntil ? { secret: current.secret, validUntil: event.previousSecretValidUntil } : null,
        version: event.version,
        lastModified: at,
      });
      return;
    }
    case 'endpointDisabled':
      await manager.update(EndpointEntity, where, { status: 'disabled', disabledReason: event.reason, version: event.version, lastModified: at });
      return;
    case 'endpointEnabled':
      await manager.update(EndpointEntity, where, { status: 'enabled', disabledReason: null, version: event.version, lastModified: at });
      return;
    case 'endpointDeleted':
      await manager.delete(EndpointEntity, where);
      return;
  }
}
