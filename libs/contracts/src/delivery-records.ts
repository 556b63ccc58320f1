import { z } from 'zod';
import { deliveryBatchSchema, webhookEventSchema } from './webhook-event';

/**
 * Records of the delivery pipeline after the first attempt: the retry chain, the dead letters,
 * the attempt log the API shows, and the command that disables an endpoint.
 */

const endpointRef = {
  schemaVersion: z.literal(1),
  endpointId: z.string().min(1),
  tailnet: z.string().min(1),
};

/** Why an attempt did not deliver, as recorded and shown to the customer. */
export const failureSchema = z.object({
  /** The endpoint's HTTP status, or null when there was none (timeout, refused by the egress). */
  status: z.number().int().nullable(),
  reason: z.string().min(1),
});

export type Failure = z.infer<typeof failureSchema>;

/** A batch waiting in the retry chain. The due time lives here, so any consumer can resume it. */
export const retryRecordSchema = z.object({
  ...endpointRef,
  batch: deliveryBatchSchema,
  /** The attempt this record makes (2 for the first retry). */
  attempt: z.number().int().min(2),
  dueAt: z.iso.datetime({ offset: true }),
  firstFailedAt: z.iso.datetime({ offset: true }),
  lastFailure: failureSchema,
  /** Trace context of the first attempt, linked from each retry's new trace. */
  originTraceparent: z.string().nullable(),
  /** How often the chain put it back because the endpoint's hold did not name its batch yet. */
  deferrals: z.number().int().min(0).optional(),
});

export type RetryRecord = z.infer<typeof retryRecordSchema>;

export const deadLetterCauseSchema = z.enum([
  /** The retry schedule ran out. */
  'exhausted',
  /** The endpoint answered 410 Gone. */
  'gone',
  /** It waited behind a batch that was dead-lettered, or arrived while the endpoint was disabled. */
  'endpointDisabled',
]);

export type DeadLetterCause = z.infer<typeof deadLetterCauseSchema>;

/** A batch Tidings stopped trying; replayable through the API. */
export const deadLetterRecordSchema = z.object({
  ...endpointRef,
  batch: deliveryBatchSchema,
  cause: deadLetterCauseSchema,
  /** Attempts made (0 for events that never went out). */
  attempts: z.number().int().min(0),
  reason: z.string().min(1),
  deadLetteredAt: z.iso.datetime({ offset: true }),
});

export type DeadLetterRecord = z.infer<typeof deadLetterRecordSchema>;

/** One delivery attempt, whatever became of it. */
export const deliveryAttemptRecordSchema = z.object({
  ...endpointRef,
  batchId: z.string().min(1),
  attempt: z.number().int().min(1),
  outcome: z.enum(['delivered', 'failed']),
  status: z.number().int().nullable(),
  reason: z.string().nullable(),
  latencyMs: z.number().nonnegative(),
  attemptedAt: z.iso.datetime({ offset: true }),
  eventIds: z.array(z.string()),
  /** When the next attempt is due; null when delivered or when no attempt follows. */
  nextAttemptAt: z.iso.datetime({ offset: true }).nullable(),
  /** On a batch's first attempt only: what it sent, for the deliveries API (never a secret). */
  request: z.object({ headers: z.record(z.string(), z.string()), events: z.array(webhookEventSchema) }).optional(),
});

export type DeliveryAttemptRecord = z.infer<typeof deliveryAttemptRecordSchema>;

/** The pipeline asks the subscriptions service (the only writer of config events) to act. */
export const endpointCommandRecordSchema = z.object({
  ...endpointRef,
  commandId: z.string().min(1),
  type: z.literal('disableEndpoint'),
  reason: z.string().min(1),
  issuedAt: z.iso.datetime({ offset: true }),
});

export type EndpointCommandRecord = z.infer<typeof endpointCommandRecordSchema>;
