import { isIP } from 'node:net';
import { z } from 'zod';
import { parseRetrySchedule, type RetrySchedule } from '@tidings/contracts';

/**
 * Reusable rules for environment variables. Each one says, in its error message, what a
 * valid value looks like, because that message is what an operator reads when a pod fails.
 */
const list = (raw: string): string[] =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

function isCidr(value: string): boolean {
  const [addr, bits, extra] = value.split('/');
  const family = isIP(addr ?? '');
  return family !== 0 && extra === undefined && bits !== undefined && /^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

export const rules = {
  port: (fallback: number) =>
    z.coerce
      .number({ error: 'must be a TCP port number (1-65535)' })
      .int('must be a TCP port number (1-65535)')
      .min(1, 'must be a TCP port number (1-65535)')
      .max(65535, 'must be a TCP port number (1-65535)')
      .default(fallback),

  positiveInt: (fallback: number, what: string) =>
    z.coerce.number({ error: `must be a positive whole number of ${what}` }).int(`must be a positive whole number of ${what}`).positive(`must be a positive whole number of ${what}`).default(fallback),

  /** A whole percentage, 1–100. */
  percent: (fallback: number) =>
    z.coerce.number({ error: 'must be a whole percentage (1-100)' }).int('must be a whole percentage (1-100)').min(1, 'must be a whole percentage (1-100)').max(100, 'must be a whole percentage (1-100)').default(fallback),

  hostPortList: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform(list)
      .refine((items) => items.length > 0 && items.every((i) => HOST_PORT.test(i)), 'must be a comma-separated list of host:port'),

  /** Like hostPortList, but empty by default (the caller has a fallback of its own). */
  optionalHostPortList: () =>
    z
      .string()
      .default('')
      .transform(list)
      .refine((items) => items.every((i) => HOST_PORT.test(i)), 'must be empty or a comma-separated list of host:port'),

  /** A comma-separated list of CIDRs such as `10.0.0.0/8,fd00::/8`. */
  cidrList: () => z.string().default('').transform(list).refine((items) => items.every(isCidr), 'must be a comma-separated list of CIDRs (e.g. 10.0.0.0/8,fd00::/8)'),

  /** Ranges granted per tailnet: `tailnet=cidr,cidr;tailnet=cidr`, e.g. `a.example.com=100.64.1.0/24,fd7a::/48`. */
  tailnetCidrs: () =>
    z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(';')
          .map((g) => g.trim())
          .filter(Boolean)
          .map((g) => (g.includes('=') ? ([g.slice(0, g.indexOf('=')).trim(), list(g.slice(g.indexOf('=') + 1))] as const) : (['', []] as const))),
      )
      .refine((grants) => grants.every(([tailnet, cidrs]) => /^[^\s=;,]+$/.test(tailnet) && cidrs.length > 0 && cidrs.every(isCidr)), 'must be tailnet=cidr,cidr;… (e.g. a.example.com=100.64.1.0/24,fd7a::/48)')
      .transform((grants) => {
        const byTailnet: Record<string, string[]> = {};
        for (const [tailnet, cidrs] of grants) byTailnet[tailnet] = [...(byTailnet[tailnet] ?? []), ...cidrs];
        return byTailnet;
      }),

  portList: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform(list)
      .refine((items) => items.length > 0 && items.every((i) => /^\d{1,5}$/.test(i) && Number(i) >= 1 && Number(i) <= 65535), 'must be a comma-separated list of TCP ports')
      .transform((items) => items.map(Number)),

  fileList: () => z.string().default('').transform(list),

  url: (protocols: string[]) =>
    z
      .string()
      .refine((v) => URL.canParse(v) && protocols.includes(new URL(v).protocol), `must be a URL with scheme ${protocols.map((p) => p.replace(':', '')).join(' or ')}`),

  optionalUrl: (protocols: string[]) =>
    z
      .string()
      .optional()
      .transform((v) => (v === '' ? undefined : v))
      .refine((v) => v === undefined || (URL.canParse(v) && protocols.includes(new URL(v).protocol)), `must be empty or a URL with scheme ${protocols.map((p) => p.replace(':', '')).join(' or ')}`),

  topicName: (fallback: string) => z.string().default(fallback).refine((v) => /^[A-Za-z0-9._-]{1,249}$/.test(v), 'must be a Kafka topic name: 1-249 of [A-Za-z0-9._-]'),

  topicPrefix: () => z.string().default('').refine((v) => /^[A-Za-z0-9._-]{0,100}$/.test(v), 'must be empty or up to 100 of [A-Za-z0-9._-]'),

  /** `keyId:base64key,...`, each key 32 bytes (AES-256). */
  keyring: () =>
    z
      .string()
      .transform(list)
      .refine(
        (entries) =>
          entries.length > 0 &&
          entries.every((e) => {
            const [id, key, extra] = e.split(':');
            return !!id && /^[A-Za-z0-9_-]+$/.test(id) && extra === undefined && !!key && Buffer.from(key, 'base64').length === 32;
          }),
        'must be a comma-separated list of keyId:base64key entries, each key 32 bytes (openssl rand -base64 32)',
      )
      .transform((entries) => entries.map((e) => ({ id: e.split(':')[0]!, key: Buffer.from(e.split(':')[1]!, 'base64') }))),

  /** PRODUCT's schedule syntax: `1h*24`, `10s,1m,10m,1h*23`, optional `~10%` jitter. */
  retrySchedule: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((text, ctx): RetrySchedule => {
        const parsed = parseRetrySchedule(text);
        if (parsed.ok) return parsed.schedule;
        ctx.addIssue({ code: 'custom', message: `must be a retry schedule such as 1h*24 or 10s,1m,10m,1h*23~10% (${parsed.reason})` });
        return z.NEVER;
      }),

  /** CSP frame-ancestors sources, space-separated: `'none'`, `'self'`, or origins (`https://*.example.com` too). */
  frameAncestors: () =>
    z
      .string()
      .default("'none'")
      .refine((v) => v.trim().split(/\s+/).every((s) => s === "'none'" || s === "'self'" || /^https?:\/\/(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$/.test(s)), "must be 'none', 'self' or origins such as https://app.example.com, separated by spaces")
      .transform((v) => v.trim().split(/\s+/).join(' ')),

  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace'], { error: 'must be one of fatal, error, warn, info, debug, trace' }).default('info'),

  boolean: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1'),
};
