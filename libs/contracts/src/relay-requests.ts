import { z } from 'zod';
import { sealedSecretSchema } from './endpoint-config-events';

/**
 * A request an input accepted (topic `tidings.relay-requests.v1`, key = input id), written
 * before the caller gets its answer. What it said (method, query, the headers kept, body,
 * client address) is sealed as one `RelayedRequest`; the clear fields say only what an
 * ephemeral bucket may keep: method, size and time.
 */
export const relayRequestRecordSchema = z.object({
  schemaVersion: z.literal(1),
  requestId: z.uuid(),
  inputId: z.uuid(),
  bucketId: z.string().min(1),
  tailnet: z.string().min(1),
  receivedAt: z.iso.datetime({ offset: true }),
  method: z.string().min(1),
  /** Body bytes. */
  size: z.number().int().min(0),
  ephemeral: z.boolean(),
  /** A sealed `RelayedRequest` (JSON). */
  request: sealedSecretSchema,
  /** Delivered already, by the relay waiting for its one destination: logged, never routed. */
  delivered: z.boolean().optional(),
});

export type RelayRequestRecord = z.infer<typeof relayRequestRecordSchema>;

/** The request as forwarded: hop-by-hop and auth headers already stripped. */
export const relayedRequestSchema = z.object({
  method: z.string().min(1),
  /** The query string without `?`, as received ('' when none). */
  query: z.string(),
  headers: z.record(z.string(), z.string()),
  /** base64 of the raw body, forwarded byte for byte. */
  body: z.string(),
  clientAddress: z.string(),
});

export type RelayedRequest = z.infer<typeof relayedRequestSchema>;
