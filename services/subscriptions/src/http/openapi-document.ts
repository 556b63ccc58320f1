import { EVENT_TYPES, EVENT_CATEGORIES } from '@tidings/contracts';

const subscriptions = { type: 'array', minItems: 1, items: { type: 'string', enum: [...EVENT_TYPES.filter((t) => t !== 'test'), ...Object.keys(EVENT_CATEGORIES)] } };
const problem = { content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
const webhook = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Webhook' } } } };
const endpointId = { name: 'endpointId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const tailnet = { name: 'tailnet', in: 'path', required: true, description: 'The key\'s tailnet, or `-` for it', schema: { type: 'string' } };
const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [String(c), { description: ERROR_TEXT[c], ...problem }]));
const ERROR_TEXT: Record<number, string> = {
  400: 'invalid request (malformed JSON, a body over 64 KiB, a bad field); `errors` names each field',
  401: 'missing, invalid or revoked API key',
  404: 'no such webhook in the key\'s tailnet',
  409: 'changed concurrently; reload and retry',
  415: 'request body is not JSON',
};
const json = (schema: object) => ({ required: true, content: { 'application/json': { schema } } });

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
        responses: { '200': { description: 'the tailnet\'s webhooks', content: { 'application/json': { schema: { type: 'object', properties: { webhooks: { type: 'array', items: { $ref: '#/components/schemas/Webhook' } } } } } } }, ...errors(401, 404) },
      },
      post: {
        operationId: 'createWebhook',
        parameters: [tailnet],
        requestBody: json({ type: 'object', required: ['endpointUrl', 'subscriptions'], properties: { endpointUrl: { type: 'string', format: 'uri', description: 'https:// only; a DNS name or a public IP' }, providerType: { type: 'string' }, subscriptions } }),
        responses: { '200': { description: 'the webhook, with its secret (shown only now)', ...webhook }, ...errors(400, 401, 404, 415) },
      },
    },
    '/api/v2/webhooks/{endpointId}': {
      get: { operationId: 'getWebhook', parameters: [endpointId], responses: { '200': { description: 'the webhook', ...webhook }, ...errors(401, 404) } },
      patch: {
        operationId: 'updateWebhook',
        parameters: [endpointId],
        requestBody: json({ type: 'object', required: ['subscriptions'], properties: { subscriptions } }),
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
        requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { gracePeriodSeconds: { type: 'integer', minimum: 0, maximum: 604800 } } } } } },
        responses: { '200': { description: 'the webhook with its new secret; the old one signs too during the grace period', ...webhook }, ...errors(400, 401, 404, 409, 415) },
      },
    },
    '/api/v2/webhooks/{endpointId}/disable': {
      post: {
        operationId: 'disableWebhook',
        parameters: [endpointId],
        requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { reason: { type: 'string', maxLength: 500 } } } } } },
        responses: { '200': { description: 'disabled; a webhookDisabled notice is sent', ...webhook }, ...errors(400, 401, 404, 409) },
      },
    },
    '/api/v2/webhooks/{endpointId}/enable': {
      post: { operationId: 'enableWebhook', parameters: [endpointId], responses: { '200': { description: 'enabled', ...webhook }, ...errors(401, 404, 409) } },
    },
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API key from `npm run tidings -- keys create`' } },
    schemas: {
      Webhook: {
        type: 'object',
        required: ['endpointId', 'endpointUrl', 'providerType', 'creatorLoginName', 'created', 'lastModified', 'subscriptions', 'status'],
        properties: {
          endpointId: { type: 'string', format: 'uuid' },
          endpointUrl: { type: 'string', format: 'uri' },
          providerType: { type: 'string' },
          creatorLoginName: { type: 'string' },
          created: { type: 'string', format: 'date-time' },
          lastModified: { type: 'string', format: 'date-time' },
          subscriptions: { type: 'array', items: { type: 'string' } },
          status: { type: 'string', enum: ['enabled', 'failing', 'disabled'] },
          disabledReason: { type: ['string', 'null'] },
          secret: { type: 'string', description: 'tskey-webhook-…; only on create and rotate' },
          standardWebhooksSecret: { type: 'string', description: 'whsec_… (the same key bytes); only on create and rotate' },
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
