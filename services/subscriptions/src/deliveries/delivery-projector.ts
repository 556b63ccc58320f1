import type { DeadLetterRecord, DeliveryAttemptRecord } from '@tidings/contracts';
import { insertUnnested, type UnnestColumn } from '@tidings/database';
import type { EntityManager } from 'typeorm';

/**
 * Writes the publisher's delivery records into the tables the API reads. Both writes are
 * idempotent, as records arrive at least once.
 */

const ATTEMPT_COLUMNS: UnnestColumn<DeliveryAttemptRecord>[] = [
  ['batch_id', 'text', (r) => r.batchId],
  ['attempt', 'integer', (r) => r.attempt],
  ['endpoint_id', 'uuid', (r) => r.endpointId],
  ['tailnet', 'text', (r) => r.tailnet],
  ['outcome', 'text', (r) => r.outcome],
  ['status', 'integer', (r) => r.status],
  ['reason', 'text', (r) => r.reason],
  ['latency_ms', 'double precision', (r) => r.latencyMs],
  ['attempted_at', 'timestamptz', (r) => r.attemptedAt],
  ['event_ids', 'jsonb', (r) => JSON.stringify(r.eventIds)],
  ['next_attempt_at', 'timestamptz', (r) => r.nextAttemptAt],
];

/** Only first attempts carry a request. */
const REQUEST_COLUMNS: UnnestColumn<DeliveryAttemptRecord>[] = [
  ['batch_id', 'text', (r) => r.batchId],
  ['endpoint_id', 'uuid', (r) => r.endpointId],
  ['tailnet', 'text', (r) => r.tailnet],
  ['headers', 'jsonb', (r) => JSON.stringify(r.request!.headers)],
  ['events', 'json', (r) => JSON.stringify(r.request!.events)],
  ['sent_at', 'timestamptz', (r) => r.attemptedAt],
];

/**
 * Attempt records in one statement per fetched batch: a statement per record was, with its
 * commit, a quarter of the machine's CPU under load (and TypeORM's query builder, escaping and
 * renaming per parameter, showed in the service's profile). A redelivered record (same batch,
 * attempt number and time) inserts nothing.
 */
export async function projectAttempts(manager: EntityManager, records: DeliveryAttemptRecord[]): Promise<void> {
  await insertUnnested(manager, 'delivery_attempts', ATTEMPT_COLUMNS, records);
  await projectRequests(manager, records);
}

/** The first attempt's request of each batch, once: a replay's first attempt sent the same batch. */
async function projectRequests(manager: EntityManager, records: DeliveryAttemptRecord[]): Promise<void> {
  await insertUnnested(manager, 'delivery_requests', REQUEST_COLUMNS, records.filter((r) => r.request), '(batch_id)');
}

/**
 * A redelivered dead letter changes nothing. A later one for the same batch (a replay that
 * failed again until the schedule ran out) replaces it and makes it replayable again.
 */
export async function projectDeadLetter(manager: EntityManager, r: DeadLetterRecord): Promise<void> {
  await manager.query(
    `INSERT INTO dead_letters (batch_id, endpoint_id, tailnet, cause, attempts, reason, dead_lettered_at, events)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::json)
     ON CONFLICT (batch_id) DO UPDATE
       SET cause = EXCLUDED.cause, attempts = EXCLUDED.attempts, reason = EXCLUDED.reason,
           dead_lettered_at = EXCLUDED.dead_lettered_at, events = EXCLUDED.events, replayed_at = NULL
       WHERE dead_letters.dead_lettered_at < EXCLUDED.dead_lettered_at AND dead_letters.endpoint_id = EXCLUDED.endpoint_id`,
    [r.batch.id, r.endpointId, r.tailnet, r.cause, r.attempts, r.reason, r.deadLetteredAt, JSON.stringify(r.batch.events)],
  );
}
