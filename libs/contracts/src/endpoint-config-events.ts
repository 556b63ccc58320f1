import { z } from 'zod';
import { rateLimitSchema } from './rate-limit';

/**
 * The endpoint configuration log (topic `tidings.endpoint-config.v1`, key = endpoint id).
 * The subscriptions service appends; the trigger and the publisher fold it into their view of
 * the endpoints. It is the only way they learn about endpoints, so it carries everything they
 * need, secrets included: sealed with AES-256-GCM, never in clear.
 */

/** A secret sealed by @tidings/secret-box. All fields base64 but keyId. */
export const sealedSecretSchema = z.object({
  keyId: z.string().min(1),
  iv: z.string().min(1),
  ciphertext: z.string().min(1),
  tag: z.string().min(1),
});
export type SealedSecret = z.infer<typeof sealedSecretSchema>;

const base = {
  schemaVersion: z.literal(1),
  /** Unique per event: consumers drop an id they have applied (outbox redelivery). */
  eventId: z.string().min(1),
  endpointId: z.string().min(1),
  tailnet: z.string().min(1),
  /** Per-endpoint sequence number, 1 for the create; consumers apply only the next one. */
  version: z.number().int().positive(),
  occurredAt: z.iso.datetime({ offset: true }),
  actor: z.string().min(1),
};

export const endpointConfigEventSchema = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('endpointCreated'),
    endpointUrl: z.url(),
    providerType: z.string(),
    subscriptions: z.array(z.string()).min(1),
    secret: sealedSecretSchema,
    /** The endpoint's own rate limit; absent or null: its provider's default (none for native). */
    rateLimit: rateLimitSchema.nullable().optional(),
  }),
  z.object({ ...base, type: z.literal('endpointSubscriptionsChanged'), subscriptions: z.array(z.string()).min(1) }),
  /** null: back to the provider's default. */
  z.object({ ...base, type: z.literal('endpointRateLimitChanged'), rateLimit: rateLimitSchema.nullable() }),
  z.object({
    ...base,
    type: z.literal('endpointSecretRotated'),
    secret: sealedSecretSchema,
    /** The old secret keeps signing until then (null: no grace period). */
    previousSecretValidUntil: z.iso.datetime({ offset: true }).nullable(),
  }),
  z.object({ ...base, type: z.literal('endpointDisabled'), reason: z.string() }),
  z.object({ ...base, type: z.literal('endpointEnabled') }),
  z.object({ ...base, type: z.literal('endpointDeleted') }),
]);

export type EndpointConfigEvent = z.infer<typeof endpointConfigEventSchema>;
