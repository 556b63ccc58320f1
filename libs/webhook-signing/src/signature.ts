import { createHmac, timingSafeEqual } from 'node:crypto';
import { HTTP_HEADERS } from '@tidings/contracts';
import { standardWebhooksKey } from './webhook-secret';

export interface SignInput {
  /** The batch id: `webhook-id`, stable across retries. */
  id: string;
  /** Unix seconds. */
  timestamp: number;
  body: string | Buffer;
  /** Every secret currently valid: one normally, two during a rotation's grace period. */
  secrets: string[];
}

const hmac = (key: string | Buffer, parts: (string | Buffer)[]) => {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h;
};

/**
 * Both header schemes of PRODUCT.md:
 * - `Tailscale-Webhook-Signature: t=<unix>,v1=<hex HMAC(secret, "<t>." + body)>[,v1=…]`
 * - Standard Webhooks `webhook-id`, `webhook-timestamp`,
 *   `webhook-signature: v1,<base64 HMAC(key, "<id>.<t>." + body)>[ v1,…]`
 */
export function signatureHeaders(input: SignInput): Record<string, string> {
  if (input.secrets.length === 0) throw new Error('cannot sign without a secret');
  const t = String(input.timestamp);
  const tailscale = input.secrets.map((s) => `v1=${hmac(s, [`${t}.`, input.body]).digest('hex')}`);
  const standard = input.secrets.map((s) => `v1,${hmac(Buffer.from(s, 'utf8'), [`${input.id}.${t}.`, input.body]).digest('base64')}`);
  return {
    [HTTP_HEADERS.tailscaleSignature]: `t=${t},${tailscale.join(',')}`,
    [HTTP_HEADERS.webhookId]: input.id,
    [HTTP_HEADERS.webhookTimestamp]: t,
    [HTTP_HEADERS.webhookSignature]: standard.join(' '),
  };
}

export interface VerifyOptions {
  /** Reject signatures older or newer than this many seconds (replay window). */
  toleranceSeconds?: number;
  now?: () => number;
}

const withinTolerance = (t: number, options: VerifyOptions) => {
  const now = Math.floor((options.now ?? Date.now)() / 1000);
  return Number.isFinite(t) && Math.abs(now - t) <= (options.toleranceSeconds ?? 300);
};

const safeEqual = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

/** Tailscale's recipe: parse `t` and every `v1`, accept if any matches. */
export function verifyTailscaleSignature(header: string | undefined, body: string | Buffer, secret: string, options: VerifyOptions = {}): boolean {
  if (!header) return false;
  const pairs = header.split(',').map((p) => p.split('=', 2) as [string, string | undefined]);
  const t = pairs.find(([k]) => k === 't')?.[1];
  if (t === undefined || !withinTolerance(Number(t), options)) return false;
  const expected = hmac(secret, [`${t}.`, body]).digest();
  return pairs.filter(([k]) => k === 'v1').some(([, v]) => v !== undefined && safeEqual(Buffer.from(v, 'hex'), expected));
}

/** The Standard Webhooks recipe, keyed by a `whsec_` secret. */
export function verifyStandardWebhook(headers: Record<string, string | string[] | undefined>, body: string | Buffer, whsec: string, options: VerifyOptions = {}): boolean {
  const one = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const id = one(HTTP_HEADERS.webhookId);
  const t = one(HTTP_HEADERS.webhookTimestamp);
  const signatures = one(HTTP_HEADERS.webhookSignature);
  if (!id || !t || !signatures || !withinTolerance(Number(t), options)) return false;
  const expected = hmac(standardWebhooksKey(whsec), [`${id}.${t}.`, body]).digest();
  return signatures
    .split(' ')
    .map((s) => s.split(',', 2))
    .some(([version, sig]) => version === 'v1' && sig !== undefined && safeEqual(Buffer.from(sig, 'base64'), expected));
}
