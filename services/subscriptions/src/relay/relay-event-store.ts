import { ConflictException } from '@nestjs/common';
import type { RelayConfigEvent } from '@tidings/contracts';
import type { EntityManager } from 'typeorm';
import { writeToOutbox } from '../outbox/outbox-writer';

/**
 * Appends a relay config event in the caller's transaction: the event row (unique per bucket
 * version), the projection, and the outbox record that carries it to the relay. All or nothing.
 */
export async function appendRelayEvent(manager: EntityManager, event: RelayConfigEvent): Promise<void> {
  const inserted: unknown[] = await manager.query(
    `INSERT INTO relay_events (event_id, bucket_id, version, type, tailnet, actor, occurred_at, event)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (bucket_id, version) DO NOTHING RETURNING event_id`,
    [event.eventId, event.bucketId, event.version, event.type, event.tailnet, event.actor, event.occurredAt, JSON.stringify(event)],
  );
  if (inserted.length === 0) throw new ConflictException(`relay bucket ${event.bucketId} was changed concurrently; reload it and retry`);
  await project(manager, event);
  await writeToOutbox(manager, 'relayConfig', event.bucketId, event);
}

async function project(manager: EntityManager, e: RelayConfigEvent): Promise<void> {
  switch (e.type) {
    case 'bucketCreated':
      await manager.query(
        `INSERT INTO relay_buckets (bucket_id, tailnet, name, auth, answer, ephemeral, version, creator_login_name, created, last_modified)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`,
        [e.bucketId, e.tailnet, e.name, JSON.stringify(e.auth), JSON.stringify(e.answer), e.ephemeral, e.version, e.actor, e.occurredAt],
      );
      return;
    case 'bucketDeleted':
      await manager.query('DELETE FROM relay_buckets WHERE bucket_id = $1', [e.bucketId]);
      return;
    case 'inputCreated':
      await manager.query('INSERT INTO relay_inputs (input_id, bucket_id, methods, body_limit_bytes, rate_limit, wait_for_destination_ms, outputs, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        e.inputId,
        e.bucketId,
        JSON.stringify(e.methods),
        e.bodyLimitBytes,
        e.rateLimit ? JSON.stringify(e.rateLimit) : null,
        e.waitForDestinationMs ?? null,
        JSON.stringify(e.outputs),
        e.occurredAt,
      ]);
      break;
    case 'inputDeleted':
      await manager.query('DELETE FROM relay_inputs WHERE input_id = $1', [e.inputId]);
      break;
    case 'outputDisabled':
    case 'outputEnabled':
      // The output's entry in the input's list, rewritten in place (its order is the input's).
      await manager.query(
        `UPDATE relay_inputs SET outputs = (
           SELECT jsonb_agg(CASE WHEN o->>'outputId' = $2 THEN o || jsonb_build_object('enabled', $3::boolean, 'disabledReason', $4::text) ELSE o END ORDER BY n)
           FROM jsonb_array_elements(outputs) WITH ORDINALITY AS t(o, n))
         WHERE input_id = $1`,
        [e.inputId, e.outputId, e.type === 'outputEnabled', e.type === 'outputDisabled' ? e.reason : null],
      );
      break;
  }
  await manager.query('UPDATE relay_buckets SET version = $2, last_modified = $3 WHERE bucket_id = $1', [e.bucketId, e.version, e.occurredAt]);
}
