import { RELAY_METHODS, SIGNATURE_SCHEMES } from '@tidings/contracts';
import { dateTime, noNul, problem, rateLimit, tailnet } from './openapi-parts';

/** The inbound relay's part of the management API document (paths and schemas). */

const headerName = { type: 'string', pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$" };
const bucketId = { name: 'bucketId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const inputId = { name: 'inputId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const bucket = { content: { 'application/json': { schema: { $ref: '#/components/schemas/RelayBucket' } } } };
const err = (code: number, description: string) => ({ [String(code)]: { description, ...problem } });
const common = { ...err(401, 'missing, invalid or revoked API key (or portal session)'), ...err(404, 'no such relay bucket (or input) in the key\'s tailnet') };
const invalid = { ...err(400, 'invalid request; `errors` names each field'), ...err(415, 'request body is not JSON') };
const outputId = { name: 'outputId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const batchId = { name: 'batchId', in: 'path', required: true, description: 'the batch id', schema: { type: 'string' } };
const outputParams = [bucketId, inputId, outputId];
const limit = { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } };
const deliveries = { content: { 'application/json': { schema: { type: 'object', required: ['deliveries'], properties: { deliveries: { type: 'array', items: { $ref: '#/components/schemas/Delivery' } } } } } } };
const outputLinks = Object.fromEntries(
  ['listRelayOutputDeliveries', 'enableRelayOutput', 'disableRelayOutput'].map((operationId) => [
    operationId,
    { operationId, parameters: { bucketId: '$response.body#/bucketId', inputId: '$response.body#/inputId', outputId: '$response.body#/outputs/0/outputId' } },
  ]),
);
const bucketLinks = (pointer: string) =>
  Object.fromEntries(['getRelayBucket', 'deleteRelayBucket', 'createRelayInput'].map((operationId) => [operationId, { operationId, parameters: { bucketId: `$response.body#${pointer}/bucketId` } }]));

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const CIDR_V4 = `^(${OCTET}\\.){3}${OCTET}/(3[0-2]|[12]?[0-9])$`;
const secret = { type: 'string', minLength: 1, maxLength: 500, ...noNul };
const toleranceSeconds = { type: 'integer', minimum: 1, maximum: 86_400, default: 300, description: 'for the timestamped schemes (Standard Webhooks, Stripe, Tailscale)' };
const hmac = {
  type: 'object',
  required: ['header'],
  properties: { header: headerName, algorithm: { type: 'string', enum: ['sha1', 'sha256', 'sha512'] }, encoding: { type: 'string', enum: ['hex', 'base64'] }, prefix: { type: 'string', maxLength: 50, ...noNul } },
};
/** Always a public https:// name in generated examples: the API judges IP literals and local names like a webhook's URL. */
const outputUrl = {
  type: 'string',
  format: 'uri',
  maxLength: 2000,
  pattern: '^https://[a-z][a-z0-9-]{0,20}(\\.[a-z][a-z0-9-]{0,20}){1,3}(/[A-Za-z0-9._~-]{0,20}){0,3}$',
  description: 'https://, a DNS name or a public IP (judged as a webhook\'s URL)',
};

const answer = {
  type: 'object',
  description: 'what an input answers at once (and an unknown input too, by default)',
  properties: { status: { type: 'integer', anyOf: [{ minimum: 200, maximum: 299 }, { minimum: 400, maximum: 599 }], default: 200 }, body: { type: 'string', maxLength: 4096, ...noNul, default: '' }, contentType: { type: 'string', pattern: '^[\\x20-\\x7e]{1,200}$', description: 'printable ASCII: it becomes a header' } },
};

export const RELAY_PATHS = {
  '/api/v2/tailnet/{tailnet}/relay-buckets': {
    get: {
      operationId: 'listRelayBuckets',
      description: 'Ours. The tailnet\'s inbound relay buckets and their inputs.',
      parameters: [tailnet],
      responses: { '200': { description: 'the buckets', content: { 'application/json': { schema: { type: 'object', required: ['buckets'], properties: { buckets: { type: 'array', items: { $ref: '#/components/schemas/RelayBucket' } } } } } } }, ...common },
    },
    post: {
      operationId: 'createRelayBucket',
      description: 'Ours. A bucket of public inputs: how a caller is checked (any combination), what it is answered, and whether anything of a request is kept (ephemeral: only method, status, size and time).',
      parameters: [tailnet],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['name'],
              properties: {
                name: { type: 'string', minLength: 1, maxLength: 200, ...noNul },
                ephemeral: { type: 'boolean', default: false },
                answer,
                auth: {
                  type: 'object',
                  properties: {
                    basic: { type: ['object', 'null'], required: ['username', 'password'], properties: { username: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^:\\u0000]*$' }, password: { type: 'string', minLength: 8, maxLength: 200, ...noNul } } },
                    token: { type: ['object', 'null'], required: ['header', 'value'], properties: { header: headerName, value: { type: 'string', minLength: 16, maxLength: 500, ...noNul } } },
                    sourceCidrs: { type: 'array', maxItems: 100, items: { type: 'string', pattern: CIDR_V4, description: 'a CIDR such as 192.0.2.0/24, or IPv6 such as 2001:db8::/32 (the pattern shows the IPv4 form only)' } },
                    signature: {
                      description: 'a known sender\'s signature over the raw body; `hmac` (header, algorithm, encoding, prefix) is for the hmac scheme, and required by it',
                      anyOf: [
                        { type: 'null' },
                        { type: 'object', required: ['scheme', 'secret'], properties: { scheme: { type: 'string', enum: SIGNATURE_SCHEMES.filter((s) => s !== 'hmac') }, secret, toleranceSeconds, hmac: { ...hmac, type: ['object', 'null'] } } },
                        { type: 'object', required: ['scheme', 'secret', 'hmac'], properties: { scheme: { const: 'hmac' }, secret, toleranceSeconds, hmac } },
                      ],
                    },
                    onFailure: { type: 'string', enum: ['reject', 'staticAnswer'], default: 'reject', description: '`staticAnswer`: a failed check is answered like a good one (nothing is forwarded either way)' },
                  },
                },
              },
              example: { name: 'github', auth: { signature: { scheme: 'github', secret: 'from the GitHub webhook settings' } } },
            },
          },
        },
      },
      responses: { '200': { description: 'the bucket', links: bucketLinks(''), ...bucket }, ...invalid, ...common },
    },
  },
  '/api/v2/relay-buckets/{bucketId}': {
    get: { operationId: 'getRelayBucket', parameters: [bucketId], responses: { '200': { description: 'the bucket and its inputs', ...bucket }, ...common } },
    delete: { operationId: 'deleteRelayBucket', parameters: [bucketId], responses: { '200': { description: 'deleted, with its inputs: they answer like unknown inputs at once' }, ...common, ...err(409, 'changed concurrently; reload and retry') } },
  },
  '/api/v2/relay-buckets/{bucketId}/inputs': {
    post: {
      operationId: 'createRelayInput',
      parameters: [bucketId],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['outputs'],
              properties: {
                methods: { type: 'array', minItems: 1, items: { type: 'string', enum: [...RELAY_METHODS] }, default: ['POST'] },
                bodyLimitBytes: { type: 'integer', minimum: 1, maximum: 10_485_760, default: 1_048_576 },
                waitForDestinationMs: {
                  type: ['integer', 'null'],
                  minimum: 100,
                  maximum: 30_000,
                  description: 'one output only: answer with its own answer if it comes within this many ms (a 2xx: delivered); else the static answer, and it is delivered later like any other',
                },
                rateLimit: { ...rateLimit, description: 'requests the input takes (in bursts of up to `requests`); past it, 429 with Retry-After before any check; null: no limit' },
                outputs: { type: 'array', minItems: 1, maxItems: 10, items: { type: 'object', required: ['url'], properties: { url: outputUrl } } },
              },
              // Waiting is for one output only.
              anyOf: [{ properties: { waitForDestinationMs: { type: 'null' } } }, { not: { required: ['waitForDestinationMs'] } }, { properties: { outputs: { maxItems: 1 } } }],
              example: { outputs: [{ url: 'https://ci.example.com/hooks/github' }] },
            },
          },
        },
      },
      responses: { '200': { description: 'the input; its public address is `/in/{inputId}` on the relay', links: outputLinks, content: { 'application/json': { schema: { $ref: '#/components/schemas/RelayInput' } } } }, ...invalid, ...common, ...err(409, 'changed concurrently; reload and retry') },
    },
  },
  '/api/v2/relay-buckets/{bucketId}/inputs/{inputId}/requests': {
    get: {
      operationId: 'listRelayRequests',
      description: 'Ours. The input\'s request log, newest first: method, size and time of each accepted request (kept RELAY_REQUEST_LOG_RETENTION_HOURS).',
      parameters: [bucketId, inputId, limit],
      responses: {
        '200': { description: 'the requests', content: { 'application/json': { schema: { type: 'object', required: ['requests'], properties: { requests: { type: 'array', items: { $ref: '#/components/schemas/RelayRequest' } } } } } } },
        ...err(400, 'a bad limit'),
        ...common,
      },
    },
  },
  '/api/v2/relay-buckets/{bucketId}/inputs/{inputId}/requests/{requestId}': {
    get: {
      operationId: 'getRelayRequest',
      description: 'Ours. One logged request, with what it said (sealed at rest, opened here); `request` is null for an ephemeral bucket, which keeps nothing of it.',
      parameters: [bucketId, inputId, { name: 'requestId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
      responses: { '200': { description: 'the request', content: { 'application/json': { schema: { $ref: '#/components/schemas/RelayRequest' } } } }, ...common },
    },
  },
  '/api/v2/relay-buckets/{bucketId}/inputs/{inputId}/outputs/{outputId}/deliveries': {
    get: {
      operationId: 'listRelayOutputDeliveries',
      description: 'Ours. The output\'s deliveries (one relayed request each), newest first, as a webhook\'s.',
      parameters: [...outputParams, limit],
      responses: { '200': { description: 'the deliveries', ...deliveries }, ...err(400, 'a bad limit'), ...common },
    },
  },
  '/api/v2/relay-buckets/{bucketId}/inputs/{inputId}/outputs/{outputId}/deliveries/{batchId}': {
    get: { operationId: 'getRelayOutputDelivery', parameters: [...outputParams, batchId], responses: { '200': { description: 'the delivery', content: { 'application/json': { schema: { $ref: '#/components/schemas/Delivery' } } } }, ...common } },
  },
  '/api/v2/relay-buckets/{bucketId}/inputs/{inputId}/outputs/{outputId}/deliveries/{batchId}/replay': {
    post: {
      operationId: 'replayRelayOutputDelivery',
      description: 'Ours. Sends a dead-lettered request to the output again, as it came, in the output\'s order.',
      parameters: [...outputParams, batchId],
      responses: { '202': { description: 'on its way' }, ...common, ...err(409, 'not dead-lettered, or the output is disabled') },
    },
  },
  '/api/v2/relay-buckets/{bucketId}/inputs/{inputId}/outputs/{outputId}/enable': {
    post: {
      operationId: 'enableRelayOutput',
      description: 'Ours. Deliveries to the output resume; with `redeliverDeadLetters`, what was dead-lettered (and not replayed) is sent again, oldest first.',
      parameters: outputParams,
      requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { redeliverDeadLetters: { type: 'boolean', default: false } } } } } },
      responses: { '200': { description: 'enabled', content: { 'application/json': { schema: { type: 'object', required: ['status', 'redelivered'], properties: { status: { const: 'enabled' }, redelivered: { type: 'integer' } } } } } }, ...invalid, ...common, ...err(409, 'changed concurrently; reload and retry') },
    },
  },
  '/api/v2/relay-buckets/{bucketId}/inputs/{inputId}/outputs/{outputId}/disable': {
    post: {
      operationId: 'disableRelayOutput',
      description: 'Ours. What reaches the output is dead-lettered until it is enabled (Tidings does this itself when its retries run out).',
      parameters: outputParams,
      requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { reason: { type: 'string', maxLength: 500, ...noNul } } } } } },
      responses: { '200': { description: 'disabled', content: { 'application/json': { schema: { type: 'object', required: ['status'], properties: { status: { const: 'disabled' } } } } } }, ...invalid, ...common, ...err(409, 'changed concurrently; reload and retry') },
    },
  },
  '/api/v2/relay-buckets/{bucketId}/inputs/{inputId}': {
    delete: { operationId: 'deleteRelayInput', parameters: [bucketId, inputId], responses: { '200': { description: 'deleted: it answers like an unknown input at once' }, ...common, ...err(409, 'changed concurrently; reload and retry') } },
  },
};


export const RELAY_SCHEMAS = {
  RelayRequest: {
    type: 'object',
    required: ['requestId', 'receivedAt', 'method', 'size', 'ephemeral'],
    properties: {
      requestId: { type: 'string', format: 'uuid', description: 'the X-Tidings-Relay-Id it was answered and forwarded with' },
      receivedAt: dateTime,
      method: { type: 'string' },
      size: { type: 'integer', description: 'body bytes' },
      ephemeral: { type: 'boolean' },
      request: {
        type: ['object', 'null'],
        description: 'only when one request is read',
        properties: { method: { type: 'string' }, query: { type: 'string' }, headers: { type: 'object', additionalProperties: { type: 'string' } }, body: { type: 'string', description: 'base64' }, clientAddress: { type: 'string' } },
      },
    },
  },
  RelayInput: {
    type: 'object',
    required: ['inputId', 'bucketId', 'path', 'methods', 'bodyLimitBytes', 'rateLimit', 'waitForDestinationMs', 'outputs', 'created'],
    properties: {
      inputId: { type: 'string', format: 'uuid' },
      bucketId: { type: 'string', format: 'uuid' },
      path: { type: 'string', description: '`/in/{inputId}`, on the relay\'s public address' },
      methods: { type: 'array', items: { type: 'string' } },
      bodyLimitBytes: { type: 'integer' },
      rateLimit: { type: ['object', 'null'] },
      waitForDestinationMs: { type: ['integer', 'null'] },
      outputs: {
        type: 'array',
        items: {
          type: 'object',
          required: ['outputId', 'url', 'status', 'disabledReason'],
          properties: { outputId: { type: 'string' }, url: { type: 'string' }, status: { type: 'string', enum: ['enabled', 'disabled'] }, disabledReason: { type: ['string', 'null'] } },
        },
      },
      created: dateTime,
    },
  },
  RelayBucket: {
    type: 'object',
    description: 'Which checks it makes; never a password, token or signing secret',
    required: ['bucketId', 'name', 'ephemeral', 'answer', 'auth', 'creatorLoginName', 'created', 'lastModified', 'inputs'],
    properties: {
      bucketId: { type: 'string', format: 'uuid' },
      name: { type: 'string' },
      ephemeral: { type: 'boolean' },
      answer: { type: 'object', required: ['status', 'body', 'contentType'] },
      auth: { type: 'object', required: ['basic', 'token', 'sourceCidrs', 'signature', 'onFailure'] },
      creatorLoginName: { type: 'string' },
      created: dateTime,
      lastModified: dateTime,
      inputs: { type: 'array', items: { $ref: '#/components/schemas/RelayInput' } },
    },
  },
};
