import { z } from 'zod';

/**
 * How often an endpoint may be posted to (ours, on the webhook object): at most `requests`
 * requests in any `perSeconds` seconds, in bursts of up to `requests`. While an endpoint is
 * limited its events queue and its batches grow; no other endpoint waits.
 */
export const rateLimitSchema = z.object({
  requests: z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(10_000, 'must be at most 10000'),
  perSeconds: z.number({ error: 'must be a number' }).int('must be a whole number of seconds').min(1, 'must be at least 1').max(86_400, 'must be at most 86400 (a day)'),
});

export type RateLimit = z.infer<typeof rateLimitSchema>;
