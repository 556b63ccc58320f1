import { DEFAULT_STATIC_ANSWER, rateLimitSchema, RELAY_METHODS, SIGNATURE_SCHEMES, type BucketAuth, type RelayBucketView, type RelayInputView, type StaticAnswer } from '@tidings/contracts';
import { isCidr } from '@tidings/relay-auth';
import { z } from 'zod';

/** PostgreSQL's text and jsonb cannot hold U+0000: refused here rather than at the insert. */
const text = (min: number, max: number) => z.string().min(min, `must be at least ${min} characters`).max(max, `must be at most ${max} characters`).refine((s) => !s.includes('\u0000'), 'must not contain NUL');
const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, 'must be an HTTP header name');

const answerSchema = z.object({
  // No 1xx or 3xx: an answer with no body to follow or no Location to go to.
  status: z.number().int().refine((n) => (n >= 200 && n <= 299) || (n >= 400 && n <= 599), 'must be 2xx, 4xx or 5xx').default(DEFAULT_STATIC_ANSWER.status),
  body: text(0, 4096).default(DEFAULT_STATIC_ANSWER.body),
  // It becomes a header: printable ASCII only.
  contentType: z.string().regex(/^[\x20-\x7e]{1,200}$/, 'must be 1-200 printable ASCII characters').default(DEFAULT_STATIC_ANSWER.contentType),
});

const signatureSchema = z
  .object({
    scheme: z.enum(SIGNATURE_SCHEMES, { error: `must be one of ${SIGNATURE_SCHEMES.join(', ')}` }),
    secret: text(1, 500),
    toleranceSeconds: z.number().int().min(1).max(86_400).default(300),
    hmac: z
      .object({ header: headerName, algorithm: z.enum(['sha1', 'sha256', 'sha512']).default('sha256'), encoding: z.enum(['hex', 'base64']).default('hex'), prefix: text(0, 50).default('') })
      .nullable()
      .default(null),
  })
  .refine((s) => s.scheme !== 'hmac' || s.hmac !== null, { message: 'is required for the hmac scheme', path: ['hmac'] })
  // The other schemes have their own recipe: a generic HMAC given with one of them is not used.
  .transform((s) => (s.scheme === 'hmac' ? s : { ...s, hmac: null }));

const authSchema = z.object({
  basic: z
    .object({ username: text(1, 200).refine((u) => !u.includes(':'), 'must not contain ":"'), password: text(8, 200) })
    .nullable()
    .default(null),
  token: z.object({ header: headerName, value: text(16, 500) }).nullable().default(null),
  sourceCidrs: z.array(z.string().refine(isCidr, 'must be a CIDR such as 192.0.2.0/24 or 2001:db8::/32')).max(100).default([]),
  signature: signatureSchema.nullable().default(null),
  onFailure: z.enum(['reject', 'staticAnswer']).default('reject'),
});

export const createBucketSchema = z.object({
  name: text(1, 200),
  ephemeral: z.boolean({ error: 'must be true or false' }).default(false),
  answer: answerSchema.default({ ...DEFAULT_STATIC_ANSWER }),
  auth: authSchema.default({ basic: null, token: null, sourceCidrs: [], signature: null, onFailure: 'reject' }),
});
export type CreateBucketRequest = z.infer<typeof createBucketSchema>;

/** The largest body an input may take (10 MiB); 1 MiB unless it says otherwise. */
export const createInputSchema = z.object({
  methods: z.array(z.enum(RELAY_METHODS, { error: `must be among ${RELAY_METHODS.join(', ')}` })).min(1).default(['POST']),
  bodyLimitBytes: z.number().int().min(1).max(10 * 1024 * 1024, 'must be at most 10485760 (10 MiB)').default(1024 * 1024),
  outputs: z.array(z.object({ url: text(1, 2000) }), { error: 'must be an array of { "url": … }' }).min(1, 'must not be empty').max(10, 'must have at most 10 outputs'),
  rateLimit: rateLimitSchema.nullable().default(null),
  waitForDestinationMs: z.number().int().min(100, 'must be at least 100').max(30_000, 'must be at most 30000').nullable().default(null),
}).refine((r) => r.waitForDestinationMs === null || r.outputs.length === 1, { message: 'needs exactly one output: the caller gets one answer', path: ['waitForDestinationMs'] });
export type CreateInputRequest = z.infer<typeof createInputSchema>;

export interface BucketRow {
  bucket_id: string;
  name: string;
  auth: BucketAuth;
  answer: StaticAnswer;
  ephemeral: boolean;
  version: number;
  tailnet: string;
  creator_login_name: string;
  created: Date;
  last_modified: Date;
}

export interface InputRow {
  input_id: string;
  bucket_id: string;
  methods: string[];
  body_limit_bytes: number;
  rate_limit: { requests: number; perSeconds: number } | null;
  wait_for_destination_ms: number | null;
  /** `enabled` and `disabledReason` appear once the output was disabled or enabled. */
  outputs: { outputId: string; url: string; enabled?: boolean; disabledReason?: string | null }[];
  created: Date;
}

export function toInputView(r: InputRow): RelayInputView {
  return {
    inputId: r.input_id,
    bucketId: r.bucket_id,
    path: `/in/${r.input_id}`,
    methods: r.methods,
    bodyLimitBytes: r.body_limit_bytes, rateLimit: r.rate_limit, waitForDestinationMs: r.wait_for_destination_ms,
    outputs: r.outputs.map((o) => ({ outputId: o.outputId, url: o.url, status: o.enabled === false ? 'disabled' : 'enabled', disabledReason: o.disabledReason ?? null })),
    created: r.created.toISOString(),
  };
}

export function toBucketView(b: BucketRow, inputs: InputRow[]): RelayBucketView {
  const { basic, token, sourceCidrs, signature, onFailure } = b.auth;
  return {
    bucketId: b.bucket_id,
    name: b.name,
    ephemeral: b.ephemeral,
    answer: b.answer,
    auth: {
      basic: basic && { username: basic.username },
      token: token && { header: token.header },
      sourceCidrs,
      signature: signature && { scheme: signature.scheme, toleranceSeconds: signature.toleranceSeconds, hmac: signature.hmac },
      onFailure,
    },
    creatorLoginName: b.creator_login_name,
    created: b.created.toISOString(),
    lastModified: b.last_modified.toISOString(),
    inputs: inputs.map(toInputView),
  };
}
