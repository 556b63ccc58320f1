import { z } from 'zod';
import { sealedSecretSchema } from './endpoint-config-events';

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

/** A payload record on the webhook-events topic: one event for one endpoint. */
export const webhookEventRecordSchema = z.object({
  schemaVersion: z.literal(1),
  endpointId: z.string().min(1),
  tailnet: z.string().min(1),
  event: webhookEventSchema,
});

export type WebhookEventRecord = z.infer<typeof webhookEventRecordSchema>;

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
    /** Every secret that signs it (old and new during a rotation's grace period). */
    secrets: z.array(sealedSecretSchema).min(1),
  }),
  event: webhookEventSchema,
});

export type WebhookNoticeRecord = z.infer<typeof webhookNoticeRecordSchema>;
