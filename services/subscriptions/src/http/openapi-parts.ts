/** Pieces of the management API document that its webhook and relay parts both use. */

export const problem = { content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
export const tailnet = { name: 'tailnet', in: 'path', required: true, description: 'The key\'s tailnet, or `-` for it', schema: { type: 'string' }, example: '-' };
/** Strings the API stores: PostgreSQL cannot hold U+0000, so a NUL is a 400. */
export const noNul = { pattern: '^[^\\u0000]*$' };
export const dateTime = { type: 'string', format: 'date-time' };
/** A webhook's or a relay input's rate limit (`rateLimitSchema`); null where its default applies. */
export const rateLimit = {
  type: ['object', 'null'],
  required: ['requests', 'perSeconds'],
  properties: { requests: { type: 'integer', minimum: 1, maximum: 10_000 }, perSeconds: { type: 'integer', minimum: 1, maximum: 86_400 } },
};
