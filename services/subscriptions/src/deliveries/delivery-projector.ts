import type { DeadLetterRecord, DeliveryAttemptRecord } from '@tidings/contracts';
import type { EntityManager } from 'typeorm';

/**
 * Writes the publisher's delivery records into the tables the API reads. Both writes are
 * idempotent, as records arrive at least once.
 */

/**
 * Attempt records in one statement per fetched batch: a statement per record was, with its
 * commit, a quarter of the machine's CPU under load. Arrays through unnest keep it to eleven
 * parameters whatever the batch, and skip TypeORM's query builder, whose statement building
 * (escaping and renaming per parameter) showed in the service's profile. A redelivered record
 * (same batch, attempt number and time) inserts nothing.
 */
export async function projectAttempts(manager: EntityManager, records: DeliveryAttemptRecord[]): Promise<void> {
  if (records.length === 0) return;
  await manager.query(
    `INSERT INTO delivery_attempts (batch_id, attempt, endpoint_id, tailnet, outcome, status, reason, latency_ms, attempted_at, event_ids, next_attempt_at)
     SELECT * FROM unnest($1::text[], $2::integer[], $3::uuid[], $4::text[], $5::text[], $6::integer[], $7::text[], $8::double precision[], $9::timestamptz[], $10::jsonb[], $11::timestamptz[])
     ON CONFLICT DO NOTHING`,
    [
      records.map((r) => r.batchId),
      records.map((r) => r.attempt),
      records.map((r) => r.endpointId),
      records.map((r) => r.tailnet),
      records.map((r) => r.outcome),
      records.map((r) => r.status),
      records.map((r) => r.reason),
      records.map((r) => r.latencyMs),
      records.map((r) => r.attemptedAt),
      records.map((r) => JSON.stringify(r.eventIds)),
      records.map((r) => r.nextAttemptAt),
    ],
  );
  await projectRequests(manager, records);
}

/** The first attempt's request of each batch, once: a replay's first attempt sent the same batch. */
async function projectRequests(manager: EntityManager, records: DeliveryAttemptRecord[]): Promise<void> {
  const firsts = records.filter((r) => r.request);
  if (firsts.length === 0) return;
  await manager.query(
    `INSERT INTO delivery_requests (batch_id, endpoint_id, tailnet, headers, events, sent_at)
     SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::jsonb[], $5::json[], $6::timestamptz[])
     ON CONFLICT (batch_id) DO NOTHING`,
    [
      firsts.map((r) => r.batchId),
      firsts.map((r) => r.endpointId),
      firsts.map((r) => r.tailnet),
      firsts.map((r) => JSON.stringify(r.request!.headers)),
      firsts.map((r) => JSON.stringify(r.request!.events)),
      firsts.map((r) => r.attemptedAt),
    ],
  );
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
