import { z } from 'zod';

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

/**
 * A payload record on the webhook-events topic: one event for one endpoint. `urgent` marks
 * notices and test events, which go out ahead of any backlog.
 */
export const webhookEventRecordSchema = z.object({
  schemaVersion: z.literal(1),
  endpointId: z.string().min(1),
  tailnet: z.string().min(1),
  urgent: z.boolean().default(false),
  event: webhookEventSchema,
});

export type WebhookEventRecord = z.infer<typeof webhookEventRecordSchema>;
