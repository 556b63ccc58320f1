import { z } from 'zod';

/**
 * A CloudEvents 1.0 domain event as Tidings accepts it on the domain-events topic, in
 * structured mode (the JSON envelope is the record value) or binary mode (attributes in
 * `ce_*` headers, data as the value). `tailnet` is a required extension attribute.
 */
/**
 * A CloudEvents String: the spec forbids the control characters U+0000-U+001F and
 * U+007F-U+009F in it (they would also reach PostgreSQL, which cannot store U+0000).
 */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
const ceString = () => z.string().refine((s) => !CONTROL_CHARACTERS.test(s), { message: 'contains a control character (CloudEvents strings may not)' });

export const cloudEventSchema = z.object({
  specversion: z.literal('1.0'),
  id: ceString().pipe(z.string().min(1)),
  source: ceString().pipe(z.string().min(1)),
  type: ceString().pipe(z.string().min(1)),
  time: z.iso.datetime({ offset: true }),
  tailnet: ceString().pipe(z.string().min(1)),
  datacontenttype: ceString().optional(),
  subject: ceString().optional(),
  data: z.record(z.string(), z.unknown()).default({}),
});

export type CloudEvent = z.infer<typeof cloudEventSchema>;

export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json';

/** The identity of a domain event for duplicate suppression: `source` and `id` together. */
export const domainEventKey = (event: Pick<CloudEvent, 'source' | 'id'>): string => `${event.source}\u0000${event.id}`;
