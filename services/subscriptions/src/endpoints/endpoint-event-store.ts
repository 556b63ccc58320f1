import { ConflictException } from '@nestjs/common';
import type { EndpointConfigEvent } from '@tidings/contracts';
import { QueryFailedError, type EntityManager } from 'typeorm';
import { writeToOutbox } from '../outbox/outbox-writer';
import { EndpointEventEntity } from './endpoint-event.entity';
import { projectEvent } from './endpoint-projector';

/**
 * Appends a config event in the caller's transaction: the event row (whose unique
 * (endpoint_id, version) makes concurrent writers of one version collide), the projection
 * update, and the outbox record that will carry it to Kafka. All or nothing.
 */
export async function appendEndpointEvent(manager: EntityManager, event: EndpointConfigEvent): Promise<void> {
  try {
    await manager.insert(EndpointEventEntity, {
      eventId: event.eventId,
      endpointId: event.endpointId,
      version: event.version,
      type: event.type,
      tailnet: event.tailnet,
      actor: event.actor,
      occurredAt: new Date(event.occurredAt),
      event,
    });
  } catch (error) {
    if (error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23505') {
      throw new ConflictException(`endpoint ${event.endpointId} was changed concurrently; reload it and retry`);
    }
    throw error;
  }
  await projectEvent(manager, event);
  await writeToOutbox(manager, 'endpointConfig', event.endpointId, event);
}
