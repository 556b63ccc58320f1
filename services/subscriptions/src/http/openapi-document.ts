import { EVENT_TYPES, EVENT_CATEGORIES, PROVIDER_TYPES } from '@tidings/contracts';
import { dateTime, noNul, problem, rateLimit, tailnet } from './openapi-parts';
import { RELAY_PATHS, RELAY_SCHEMAS } from './openapi-relay';

const subscriptions = { type: 'array', minItems: 1, items: { type: 'string', enum: [...EVENT_TYPES.filter((t) => t !== 'test'), ...Object.keys(EVENT_CATEGORIES)] } };
const webhook = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Webhook' } } } };
const endpointId = { name: 'endpointId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const batchId = { name: 'batchId', in: 'path', required: true, description: 'the batch id (the `webhook-id` header of its requests)', schema: { type: 'string' } };
/** Links from an answer carrying a webhook (at `pointer`) to every operation that takes its id, so clients and fuzzers can follow them. */
const webhookLinks = (pointer: string) =>
  Object.fromEntries(
    ['getWebhook', 'updateWebhook', 'deleteWebhook', 'testWebhook', 'rotateWebhookSecret', 'disableWebhook', 'enableWebhook', 'listDeliveries'].map((operationId) => [
      operationId,
      { operationId, parameters: { endpointId: `$response.body#${pointer}/endpointId` } },
    ]),
  );
const deliveryLinks = Object.fromEntries(
  ['getDelivery', 'replayDelivery'].map((operationId) => [operationId, { operationId, parameters: { endpointId: '$request.path.endpointId', batchId: '$response.body#/deliveries/0/batchId' } }]),
);
const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [String(c), { description: ERROR_TEXT[c], ...problem }]));
const ERROR_TEXT: Record<number, string> = {
  400: 'invalid request (malformed JSON, a body over 64 KiB, a bad field); `errors` names each field',
  401: 'missing, invalid or revoked API key (or an expired or revoked portal session)',
  403: 'a portal session cannot do this; it takes an API key',
  404: 'no such webhook in the key\'s tailnet',
  409: 'changed concurrently; reload and retry',
  415: 'request body is not JSON',
};
const delivery = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Delivery' } } } };
const noBatch = { description: 'no such webhook in the key\'s tailnet, or no such batch of it', ...problem };
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' };
const json = (schema: object) => ({ required: true, content: { 'application/json': { schema } } });
/** A body that may be left out (its fields have defaults). */
const optionalJson = (properties: object) => ({ required: false, content: { 'application/json': { schema: { type: 'object', properties } } } });

/**
 * The management API as OpenAPI 3.1, served at GET /api/v2/openapi.json. A test compares its
 * operations with the routes the service actually maps.
 */
export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: { title: 'Tidings management API', version: '2', description: 'Tailscale-compatible webhook endpoints, plus Tidings additions.' },
  servers: [{ url: '/' }],
  security: [{ bearer: [] }],
  paths: {
    '/api/v2/tailnet/{tailnet}/webhooks': {
      get: {
        operationId: 'listWebhooks',
        parameters: [tailnet],
        responses: { '200': { description: 'the tailnet\'s webhooks', links: webhookLinks('/webhooks/0'), content: { 'application/json': { schema: { type: 'object', properties: { webhooks: { type: 'array', items: { $ref: '#/components/schemas/Webhook' } } } } } } }, ...errors(401, 404) },
      },
      post: {
        operationId: 'createWebhook',
        parameters: [tailnet],
        requestBody: json({
          type: 'object',
          required: ['endpointUrl', 'subscriptions'],
          properties: { endpointUrl: { type: 'string', format: 'uri', ...noNul, description: 'https:// only; a DNS name or a public IP' }, providerType: { type: 'string', enum: [...PROVIDER_TYPES], description: 'the body format: "" (native JSON array) or a chat provider; when empty, a Slack, Discord or Google Chat webhook URL selects its provider' }, subscriptions, rateLimit: { ...rateLimit, description: 'ours: how often the endpoint may be posted to; omitted or null: its provider\'s default (none for native)' } },
          example: { endpointUrl: 'https://hooks.example.com/tidings', subscriptions: ['nodeCreated', 'categoryTailnetManagement'] },
        }),
        responses: { '200': { description: 'the webhook, with its secret (shown only now)', links: webhookLinks(''), ...webhook }, ...errors(400, 401, 404, 415) },
      },
    },
    '/api/v2/webhooks/{endpointId}': {
      get: { operationId: 'getWebhook', parameters: [endpointId], responses: { '200': { description: 'the webhook', ...webhook }, ...errors(401, 404) } },
      patch: {
        operationId: 'updateWebhook',
        parameters: [endpointId],
        requestBody: json({ type: 'object', minProperties: 1, properties: { subscriptions, rateLimit: { ...rateLimit, description: 'ours; null: back to the provider\'s default' } } }),
        responses: { '200': { description: 'the updated webhook; a webhookUpdated notice is sent', ...webhook }, ...errors(400, 401, 404, 409, 415) },
      },
      delete: { operationId: 'deleteWebhook', parameters: [endpointId], responses: { '200': { description: 'deleted; a webhookDeleted notice is sent' }, ...errors(401, 404, 409) } },
    },
    '/api/v2/webhooks/{endpointId}/test': {
      post: { operationId: 'testWebhook', parameters: [endpointId], responses: { '202': { description: 'a test event is on its way, ahead of any backlog' }, ...errors(401, 404) } },
    },
    '/api/v2/webhooks/{endpointId}/rotate': {
      post: {
        operationId: 'rotateWebhookSecret',
        parameters: [endpointId],
        requestBody: optionalJson({ gracePeriodSeconds: { type: 'integer', minimum: 0, maximum: 604800 } }),
        responses: { '200': { description: 'the webhook with its new secret; the old one signs too during the grace period', ...webhook }, ...errors(400, 401, 404, 409, 415) },
      },
    },
    '/api/v2/webhooks/{endpointId}/disable': {
      post: {
        operationId: 'disableWebhook',
        parameters: [endpointId],
        requestBody: optionalJson({ reason: { type: 'string', maxLength: 500, ...noNul } }),
        responses: { '200': { description: 'disabled; a webhookDisabled notice is sent', ...webhook }, ...errors(400, 401, 404, 409) },
      },
    },
    '/api/v2/webhooks/{endpointId}/enable': {
      post: {
        operationId: 'enableWebhook',
        parameters: [endpointId],
        requestBody: optionalJson({
          redeliverDeadLetters: { type: 'boolean', default: false, description: 'also replay every dead-lettered batch of the endpoint not replayed yet, oldest first, as `…/replay` does' },
        }),
        responses: {
          '200': { description: 'enabled (a no-op when it was); with `redeliverDeadLetters`, the dead letters are on their way. Repeating the request sends only what was not sent', ...webhook },
          ...errors(400, 401, 404, 409, 415),
        },
      },
    },
    '/api/v2/webhooks/{endpointId}/deliveries': {
      get: {
        operationId: 'listDeliveries',
        description: 'The endpoint\'s batches, newest first by their latest attempt or dead-lettering, each with its attempts. A batch dead-lettered without an attempt (cause `endpointDisabled`) is listed too.',
        parameters: [endpointId, { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } }],
        responses: {
          '200': { description: 'the deliveries', links: deliveryLinks, content: { 'application/json': { schema: { type: 'object', required: ['deliveries'], properties: { deliveries: { type: 'array', items: { $ref: '#/components/schemas/Delivery' } } } } } } },
          ...errors(400, 401, 404),
        },
      },
    },
    '/api/v2/webhooks/{endpointId}/deliveries/{batchId}': {
      get: { operationId: 'getDelivery', parameters: [endpointId, batchId], responses: { '200': { description: 'the delivery', ...delivery }, ...errors(401), '404': noBatch } },
    },
    '/api/v2/webhooks/{endpointId}/deliveries/{batchId}/replay': {
      post: {
        operationId: 'replayDelivery',
        description:
          'Sends a dead-lettered batch again, as it was (same `webhook-id`, same body), in the endpoint\'s order. Each call is a new request: replaying a batch twice sends it twice. Sets `deadLetter.replayedAt`.',
        parameters: [endpointId, batchId],
        responses: {
          '202': { description: 'the batch is on its way', content: { 'application/json': { schema: { type: 'object', required: ['batchId'], properties: { batchId: { type: 'string' } } } } } },
          ...errors(401),
          '404': noBatch,
          '409': { description: 'the batch was not dead-lettered, or the webhook is disabled (enable it first)', ...problem },
        },
      },
    },
    '/api/v2/tailnet/{tailnet}/portal-sessions': {
      post: {
        operationId: 'createPortalSession',
        description: 'Ours. A short-lived token for one of your customers: it manages this tailnet\'s webhooks through the API (and the console) and nothing else. Takes an API key; a portal session cannot mint another.',
        parameters: [tailnet],
        requestBody: optionalJson({
          ttlSeconds: { type: 'integer', minimum: 60, maximum: 86_400, default: 3_600 },
          loginName: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f]*$', description: 'who the customer is: the actor of what the session changes (default `portal:<id>`)' },
        }),
        responses: { '200': { description: 'the session, with its token (shown only now)', content: { 'application/json': { schema: { $ref: '#/components/schemas/PortalSession' } } } }, ...errors(400, 401, 403, 404, 415) },
      },
    },
    '/api/v2/tailnet/{tailnet}/portal-sessions/{sessionId}': {
      delete: {
        operationId: 'revokePortalSession',
        parameters: [tailnet, { name: 'sessionId', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'revoked: its token stops working at once' }, ...errors(401, 403), '404': { description: 'no such portal session in the key\'s tailnet', ...problem } },
      },
    },
  ...RELAY_PATHS,
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API key from `npm run tidings -- keys create`' } },
    schemas: {
      ...RELAY_SCHEMAS,
      Webhook: {
        type: 'object',
        required: ['endpointId', 'endpointUrl', 'providerType', 'rateLimit', 'creatorLoginName', 'created', 'lastModified', 'subscriptions', 'status'],
        properties: {
          endpointId: { type: 'string', format: 'uuid' },
          endpointUrl: { type: 'string', format: 'uri' },
          providerType: { type: 'string', enum: [...PROVIDER_TYPES], description: 'the provider in force' },
          rateLimit: { ...rateLimit, description: 'the rate limit in force: its own, else its provider\'s default; null: none' },
          creatorLoginName: { type: 'string' },
          created: { type: 'string', format: 'date-time' },
          lastModified: { type: 'string', format: 'date-time' },
          subscriptions: { type: 'array', items: { type: 'string' } },
          status: { type: 'string', enum: ['enabled', 'failing', 'disabled'], description: '`failing`: enabled, and its most recent delivery attempt failed' },
          disabledReason: { type: ['string', 'null'] },
          secret: { type: 'string', description: 'tskey-webhook-…; only on create and rotate' },
          standardWebhooksSecret: { type: 'string', description: 'whsec_… (the same key bytes); only on create and rotate' },
        },
      },
      Delivery: {
        type: 'object',
        description: 'One batch (one request body, retried as it was) and what became of it',
        required: ['batchId', 'state', 'eventIds', 'attempts', 'lastAttemptAt', 'nextAttemptAt', 'deadLetter'],
        properties: {
          batchId: { type: 'string', description: 'the `webhook-id` header of its requests' },
          state: {
            type: 'string',
            enum: ['delivered', 'retrying', 'failed', 'deadLettered'],
            description: '`retrying`: the last attempt failed and another is due (`nextAttemptAt`); `failed`: the last attempt failed, none is due, and it is not (yet) dead-lettered; `deadLettered`: Tidings stopped trying (attempts after a replay count again)',
          },
          eventIds: { type: 'array', items: { type: 'string' } },
          attempts: { type: 'array', items: { $ref: '#/components/schemas/DeliveryAttempt' } },
          lastAttemptAt: nullableDateTime,
          nextAttemptAt: { ...nullableDateTime, description: 'when the next attempt is due, while `retrying`' },
          deadLetter: {
            oneOf: [
              { type: 'null' },
              {
                type: 'object',
                required: ['cause', 'reason', 'deadLetteredAt', 'replayedAt'],
                properties: {
                  cause: { type: 'string', enum: ['exhausted', 'gone', 'endpointDisabled'], description: '`exhausted`: the retry schedule ran out; `gone`: the endpoint answered 410; `endpointDisabled`: it waited behind a dead-lettered batch, or arrived while the endpoint was disabled' },
                  reason: { type: 'string' },
                  deadLetteredAt: dateTime,
                  replayedAt: { ...nullableDateTime, description: 'the last replay requested, if any' },
                },
              },
            ],
          },
          request: {
            description: 'Only when one delivery is read: what its first attempt sent (its headers, signatures included, and its events); headers are empty for a batch dead-lettered before any attempt; null when not recorded',
            oneOf: [
              { type: 'null' },
              {
                type: 'object',
                required: ['headers', 'events'],
                properties: { headers: { type: 'object', additionalProperties: { type: 'string' } }, events: { type: 'array', items: { type: 'object' } } },
              },
            ],
          },
        },
      },
      DeliveryAttempt: {
        type: 'object',
        required: ['attempt', 'outcome', 'status', 'reason', 'latencyMs', 'attemptedAt', 'nextAttemptAt'],
        properties: {
          attempt: { type: 'integer', minimum: 1 },
          outcome: { type: 'string', enum: ['delivered', 'failed'] },
          status: { type: ['integer', 'null'], description: 'the endpoint\'s HTTP status; null when there was none (timeout, refused by the egress)' },
          reason: { type: ['string', 'null'] },
          latencyMs: { type: 'number', minimum: 0 },
          attemptedAt: dateTime,
          nextAttemptAt: nullableDateTime,
        },
      },
      PortalSession: {
        type: 'object',
        required: ['id', 'tailnet', 'loginName', 'expiresAt'],
        properties: {
          id: { type: 'string' },
          tailnet: { type: 'string' },
          loginName: { type: 'string' },
          expiresAt: { type: 'string', format: 'date-time' },
          token: { type: 'string', description: 'tskey-portal-…; only on create. Send it as `Authorization: Bearer`.' },
        },
      },
      Problem: {
        type: 'object',
        description: 'RFC 9457 problem details',
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
          message: { type: 'string' },
          instance: { type: 'string' },
          errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, problem: { type: 'string' } } } },
        },
      },
    },
  },
} as const;
