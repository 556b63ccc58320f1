import { rateLimitInForce } from '@tidings/chat-formats';
import { isEventCategory, isEventType, PROVIDER_TYPES, providerInForce, rateLimitSchema, type WebhookView } from '@tidings/contracts';
import { toStandardWebhooksSecret } from '@tidings/webhook-signing';
import { z } from 'zod';
import { ValidationProblem, type FieldProblem } from '../http/problem-details.filter';
import { endpointStatus, type EndpointEntity } from './endpoint.entity';

/**
 * A string field that PostgreSQL can store: its text and jsonb types cannot hold U+0000, so a
 * NUL is refused here rather than failing the insert. Unknown fields are ignored, NULs and all.
 */
const text = () => z.string().refine((s) => !s.includes('\u0000'), { message: 'must not contain the NUL character (U+0000)', abort: true });

const subscription = z.string().refine((s) => (isEventType(s) && s !== 'test') || isEventCategory(s), { message: 'unknown event type or category' });

export const createWebhookSchema = z.object({
  endpointUrl: z.string({ error: 'is required' }).pipe(text()),
  // An unknown provider is refused rather than stored and ignored (a Slack URL given our JSON array fails for a day).
  providerType: text().pipe(z.enum(PROVIDER_TYPES, { error: `must be one of ${PROVIDER_TYPES.map((p) => `"${p}"`).join(', ')}` })).default(''),
  subscriptions: z.array(subscription, { error: 'must be an array of event types or categories' }).min(1, 'must not be empty'),
  rateLimit: rateLimitSchema.nullable().default(null),
});
export type CreateWebhookRequest = z.infer<typeof createWebhookSchema>;

/** Either or both; `rateLimit: null` goes back to the provider's default. */
export const patchWebhookSchema = z
  .object({
    subscriptions: z.array(subscription, { error: 'must be an array of event types or categories' }).min(1, 'must not be empty').optional(),
    rateLimit: rateLimitSchema.nullable().optional(),
  })
  .refine((p) => p.subscriptions !== undefined || p.rateLimit !== undefined, { message: 'is required unless rateLimit is given', path: ['subscriptions'] });
export type PatchWebhookRequest = z.infer<typeof patchWebhookSchema>;

/** Up to a week of overlap in which both the old and the new secret sign. */
export const rotateSecretSchema = z
  .object({ gracePeriodSeconds: z.number({ error: 'must be a number of seconds' }).int('must be a whole number of seconds').min(0, 'must not be negative').max(604_800, 'must be at most 604800 (7 days)').default(0) })
  .default({ gracePeriodSeconds: 0 });

/** With `redeliverDeadLetters`, what was dead-lettered (and not replayed yet) is sent again. */
export const enableWebhookSchema = z
  .object({ redeliverDeadLetters: z.boolean({ error: 'must be true or false' }).default(false) })
  .default({ redeliverDeadLetters: false });

export const disableWebhookSchema = z.object({ reason: text().pipe(z.string().max(500)).default('disabled by hand') }).default({ reason: 'disabled by hand' });

/**
 * Parses a request body with a schema, or answers 400 naming each bad field, together with
 * the problems of checks the schema cannot express (`also`).
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, also: FieldProblem[] = []): z.output<S> {
  const result = schema.safeParse(body ?? {});
  const problems = [...(result.success ? [] : result.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', problem: i.message }))), ...also];
  if (problems.length > 0) throw new ValidationProblem(problems);
  return (result as { data: z.output<S> }).data;
}

export function toWebhookView(e: EndpointEntity, secret?: string): WebhookView {
  return {
    endpointId: e.endpointId,
    endpointUrl: e.endpointUrl,
    providerType: providerInForce(e.providerType, e.endpointUrl),
    rateLimit: rateLimitInForce(providerInForce(e.providerType, e.endpointUrl), e.rateLimit),
    creatorLoginName: e.creatorLoginName,
    created: e.created.toISOString(),
    lastModified: e.lastModified.toISOString(),
    subscriptions: e.subscriptions,
    status: endpointStatus(e),
    disabledReason: e.disabledReason,
    ...(secret ? { secret, standardWebhooksSecret: toStandardWebhooksSecret(secret) } : {}),
  };
}
