import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SenderSignature } from '@tidings/contracts';
import { verifyStandardWebhook, verifyTailscaleSignature } from '@tidings/webhook-signing';

/** A request as a signature check reads it: lower-case header names, the raw body. */
export interface SignedRequest {
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export type CheckResult = { ok: true } | { ok: false; reason: string };

const fail = (reason: string): CheckResult => ({ ok: false, reason });
const OK: CheckResult = { ok: true };

const equalText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

const hmacHex = (algorithm: string, key: string | Buffer, ...parts: (string | Buffer)[]) => {
  const h = createHmac(algorithm, key);
  for (const p of parts) h.update(p);
  return h;
};

/**
 * Checks a known sender's signature over the raw body, each by its own recipe:
 * - GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`;
 * - Stripe: `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`, within the tolerance;
 * - Standard Webhooks and Tailscale: the same recipes Tidings signs with;
 * - generic HMAC: the configured header, algorithm, encoding and prefix.
 */
export function checkSenderSignature(signature: SenderSignature, secret: string, request: SignedRequest, nowMs = Date.now()): CheckResult {
  const h = request.headers;
  const options = { toleranceSeconds: signature.toleranceSeconds, now: () => nowMs };
  switch (signature.scheme) {
    case 'github': {
      const given = h['x-hub-signature-256'];
      if (!given) return fail('no X-Hub-Signature-256 header');
      return equalText(given, `sha256=${hmacHex('sha256', secret, request.body).digest('hex')}`) ? OK : fail('X-Hub-Signature-256 does not match');
    }
    case 'stripe': {
      const given = h['stripe-signature'];
      if (!given) return fail('no Stripe-Signature header');
      const pairs = given.split(',').map((p) => p.split('=', 2) as [string, string | undefined]);
      const t = pairs.find(([k]) => k === 't')?.[1];
      if (t === undefined || !/^\d+$/.test(t)) return fail('Stripe-Signature has no timestamp');
      if (Math.abs(Math.floor(nowMs / 1000) - Number(t)) > signature.toleranceSeconds) return fail('Stripe-Signature is outside the tolerance');
      const expected = hmacHex('sha256', secret, `${t}.`, request.body).digest('hex');
      return pairs.some(([k, v]) => k === 'v1' && v !== undefined && equalText(v, expected)) ? OK : fail('Stripe-Signature does not match');
    }
    case 'tailscale':
      return verifyTailscaleSignature(h['tailscale-webhook-signature'], request.body, secret, options) ? OK : fail('Tailscale-Webhook-Signature is missing, stale or does not match');
    case 'standardWebhooks':
      return verifyStandardWebhook(h, request.body, secret, options) ? OK : fail('webhook-signature is missing, stale or does not match');
    case 'hmac': {
      const spec = signature.hmac;
      if (!spec) return fail('the bucket names no HMAC header');
      const given = h[spec.header.toLowerCase()];
      if (!given) return fail(`no ${spec.header} header`);
      const expected = `${spec.prefix}${hmacHex(spec.algorithm, secret, request.body).digest(spec.encoding)}`;
      return equalText(given, expected) ? OK : fail(`${spec.header} does not match`);
    }
  }
}
