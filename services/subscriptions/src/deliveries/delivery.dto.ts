import { z } from 'zod';

export const DEFAULT_DELIVERIES_LIMIT = 50;
export const MAX_DELIVERIES_LIMIT = 200;

/** `?limit=N`: how many of the newest batches to show. */
export const listDeliveriesQuerySchema = z.object({
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(MAX_DELIVERIES_LIMIT, `must be at most ${MAX_DELIVERIES_LIMIT}`)
    .default(DEFAULT_DELIVERIES_LIMIT),
});
