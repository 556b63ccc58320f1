import { z } from 'zod';

/**
 * A CloudEvents 1.0 domain event as Tidings accepts it on the domain-events topic, in
 * structured mode (the JSON envelope is the record value) or binary mode (attributes in
 * `ce_*` headers, data as the value). `tailnet` is a required extension attribute.
 */
export const cloudEventSchema = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1),
  source: z.string().min(1),
  type: z.string().min(1),
  time: z.iso.datetime({ offset: true }),
  tailnet: z.string().min(1),
  datacontenttype: z.string().optional(),
  subject: z.string().optional(),
  data: z.record(z.string(), z.unknown()).default({}),
});

export type CloudEvent = z.infer<typeof cloudEventSchema>;

export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json';

/** The identity of a domain event for duplicate suppression: `source` and `id` together. */
export const domainEventKey = (event: Pick<CloudEvent, 'source' | 'id'>): string => `${event.source}\u0000${event.id}`;
