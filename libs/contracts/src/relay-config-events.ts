import { z } from 'zod';
import { sealedSecretSchema } from './endpoint-config-events';
import { rateLimitSchema } from './rate-limit';

/**
 * The inbound relay's configuration log (topic `tidings.relay-config.v1`, key = bucket id):
 * buckets (how their inputs check a caller, what they answer) and their inputs (where a
 * request goes). The subscriptions service appends; the relay folds it into its view. Like
 * the endpoint log, it carries only slow hashes of passwords and tokens, and signing secrets
 * sealed, never in clear.
 */

/** A password or token as stored: an argon2id PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`). */
export const slowHashSchema = z.string().regex(/^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/, 'an argon2id PHC string');

export const SIGNATURE_SCHEMES = ['standardWebhooks', 'github', 'stripe', 'tailscale', 'hmac'] as const;
export type SignatureScheme = (typeof SIGNATURE_SCHEMES)[number];

/** A known sender's signature, checked over the raw body with the sealed secret. */
export const senderSignatureSchema = z.object({
  scheme: z.enum(SIGNATURE_SCHEMES),
  secret: sealedSecretSchema,
  /** Seconds a timestamped signature (Standard Webhooks, Stripe, Tailscale) stays acceptable. */
  toleranceSeconds: z.number().int().min(1).max(86_400),
  /** Generic HMAC only: where the signature is, how it is made and written, and a prefix before it (`sha256=`). */
  hmac: z
    .object({
      header: z.string().min(1),
      algorithm: z.enum(['sha1', 'sha256', 'sha512']),
      encoding: z.enum(['hex', 'base64']),
      prefix: z.string(),
    })
    .nullable(),
});
export type SenderSignature = z.infer<typeof senderSignatureSchema>;

/** Every check a caller must pass; an absent check is not made. */
export const bucketAuthSchema = z.object({
  basic: z.object({ username: z.string().min(1), passwordHash: slowHashSchema }).nullable(),
  token: z.object({ header: z.string().min(1), tokenHash: slowHashSchema }).nullable(),
  /** The caller's address must be in one of these (v4 or v6); empty: any address. */
  sourceCidrs: z.array(z.string().min(1)),
  signature: senderSignatureSchema.nullable(),
  /** `reject`: 401; `staticAnswer`: the bucket's usual answer, so a prober learns nothing. Either way nothing is forwarded. */
  onFailure: z.enum(['reject', 'staticAnswer']),
});
export type BucketAuth = z.infer<typeof bucketAuthSchema>;

/** What an input answers at once, and what an unknown input answers too (the default). */
export const staticAnswerSchema = z.object({
  status: z.number().int().refine((n) => (n >= 200 && n <= 299) || (n >= 400 && n <= 599), 'must be 2xx, 4xx or 5xx'),
  body: z.string().max(4096),
  contentType: z.string().min(1).max(200),
});
export type StaticAnswer = z.infer<typeof staticAnswerSchema>;

export const DEFAULT_STATIC_ANSWER: StaticAnswer = { status: 200, body: '', contentType: 'text/plain; charset=utf-8' };

/** Where an input's requests go: each output is its own ordered lane. */
export const relayOutputSchema = z.object({ outputId: z.string().min(1), url: z.url() });
export type RelayOutput = z.infer<typeof relayOutputSchema>;

/** What a waiting input passes back of its destination's answer. */
export const WAITED_ANSWER_MAX_BYTES = 64 * 1024;

export const RELAY_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE', 'GET'] as const;

const base = {
  schemaVersion: z.literal(1),
  /** Unique per event: consumers drop an id they have applied (outbox redelivery). */
  eventId: z.string().min(1),
  bucketId: z.string().min(1),
  tailnet: z.string().min(1),
  /** Per-bucket sequence number, 1 for the create; consumers apply only the next one. */
  version: z.number().int().positive(),
  occurredAt: z.iso.datetime({ offset: true }),
  actor: z.string().min(1),
};

export const relayConfigEventSchema = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('bucketCreated'),
    name: z.string().min(1).max(200),
    auth: bucketAuthSchema,
    answer: staticAnswerSchema,
    /** Keeps no body, header or query bytes anywhere but sealed in Kafka for the retry window. */
    ephemeral: z.boolean(),
  }),
  z.object({ ...base, type: z.literal('bucketDeleted') }),
  z.object({
    ...base,
    type: z.literal('inputCreated'),
    inputId: z.uuid(),
    methods: z.array(z.enum(RELAY_METHODS)).min(1),
    bodyLimitBytes: z.number().int().min(1).max(10 * 1024 * 1024),
    outputs: z.array(relayOutputSchema).min(1).max(10),
    /** How many requests the input takes; past it, 429 before any check. Absent or null: no limit. */
    rateLimit: rateLimitSchema.nullable().optional(),
    /**
     * One output only: the relay sends each request to it at once and answers with its answer,
     * if it comes within this many ms; else the request is delivered later, as any other.
     */
    waitForDestinationMs: z.number().int().min(100).max(30_000).nullable().optional(),
  }),
  z.object({ ...base, type: z.literal('inputDeleted'), inputId: z.uuid() }),
  /** An output that exhausted its retries (or was stopped by hand): what reaches it is dead-lettered until it is enabled. */
  z.object({ ...base, type: z.literal('outputDisabled'), inputId: z.uuid(), outputId: z.string().min(1), reason: z.string() }),
  z.object({ ...base, type: z.literal('outputEnabled'), inputId: z.uuid(), outputId: z.string().min(1) }),
]);

export type RelayConfigEvent = z.infer<typeof relayConfigEventSchema>;
