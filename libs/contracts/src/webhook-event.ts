import { z } from 'zod';
import { sealedSecretSchema } from './endpoint-config-events';
import { providerTypeSchema } from './provider-types';

/** Version of the event object customers receive (`"version": 1` in every event). */
export const WEBHOOK_EVENT_VERSION = 1;

/** One event in the JSON array POSTed to an endpoint. */
export const webhookEventSchema = z.object({
  id: z.string().min(1),
  timestamp: z.iso.datetime({ offset: true }),
  version: z.literal(WEBHOOK_EVENT_VERSION),
  type: z.string().min(1),
  tailnet: z.string().min(1),
  message: z.string(),
  data: z.record(z.string(), z.string()),
});

export type WebhookEvent = z.infer<typeof webhookEventSchema>;

/** A batch as it goes on the wire: once formed, its id and events never change (retries, replays). */
export const deliveryBatchSchema = z.object({
  /** The `webhook-id` header. */
  id: z.string().min(1),
  events: z.array(webhookEventSchema).min(1),
});

export type DeliveryBatch = z.infer<typeof deliveryBatchSchema>;

const laneRecord = {
  schemaVersion: z.literal(1),
  endpointId: z.string().min(1),
  tailnet: z.string().min(1),
};

/** A payload record on the webhook-events topic: one event for one endpoint. */
export const webhookEventRecordSchema = z.object({ ...laneRecord, kind: z.literal('event'), event: webhookEventSchema });

export type WebhookEventRecord = z.infer<typeof webhookEventRecordSchema>;

/**
 * The payload records of one event fanned out to `endpointIds`, as `JSON.stringify` writes each
 * record, with the event serialised once rather than once per endpoint (a fan-out to thousands).
 */
export function encodeWebhookEventRecords(tailnet: string, event: WebhookEvent, endpointIds: string[]): string[] {
  const tail = `,"tailnet":${JSON.stringify(tailnet)},"event":${JSON.stringify(event)}}`;
  return endpointIds.map((endpointId) => `{"schemaVersion":1,"kind":"event","endpointId":${JSON.stringify(endpointId)}${tail}`);
}

/**
 * The retry chain is done with a batch: the endpoint's waiting events may follow it (delivered),
 * follow it to the dead letters (deadLettered), or be dropped with it (endpointGone: deleted);
 * after an unreadable retry record (unreadable) they follow too: the lost batch is not theirs.
 * Written to the endpoint's lane, so it is read in order with the endpoint's payloads.
 */
export const retryResolvedRecordSchema = z.object({
  ...laneRecord,
  kind: z.literal('retryResolved'),
  batchId: z.string().min(1),
  /** `unreadable`: the chain could not read the batch's retry record; it went to the internal dead letters. */
  outcome: z.enum(['delivered', 'deadLettered', 'endpointGone', 'unreadable']),
  reason: z.string().nullable(),
});

export type RetryResolvedRecord = z.infer<typeof retryResolvedRecordSchema>;

/** A dead-lettered batch sent again, as it was (same id and body), in the endpoint's order. */
export const batchReplayRecordSchema = z.object({ ...laneRecord, kind: z.literal('replay'), batch: deliveryBatchSchema, requestedBy: z.string().min(1) });

export type BatchReplayRecord = z.infer<typeof batchReplayRecordSchema>;

/** Everything on an endpoint's lane (the webhook-events topic). */
export const laneRecordSchema = z.discriminatedUnion('kind', [webhookEventRecordSchema, retryResolvedRecordSchema, batchReplayRecordSchema]);

export type LaneRecord = z.infer<typeof laneRecordSchema>;

/**
 * A record on the webhook-notices topic: a test event or a `webhook*` notice for one endpoint.
 * It carries its own target (URL and sealed secrets as they were when the notice was written),
 * so it is delivered even when the endpoint was deleted or its secret rotated meanwhile.
 */
export const webhookNoticeRecordSchema = z.object({
  schemaVersion: z.literal(1),
  noticeId: z.string().min(1),
  target: z.object({
    endpointId: z.string().min(1),
    tailnet: z.string().min(1),
    endpointUrl: z.url(),
    /** The provider in force, so a chat endpoint gets its notices in its format; absent in records written before it was carried. */
    providerType: providerTypeSchema.default(''),
    /** Every secret that signs it (old and new during a rotation's grace period). */
    secrets: z.array(sealedSecretSchema).min(1),
  }),
  event: webhookEventSchema,
});

export type WebhookNoticeRecord = z.infer<typeof webhookNoticeRecordSchema>;
