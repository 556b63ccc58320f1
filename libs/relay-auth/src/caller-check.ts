import { createHash } from 'node:crypto';
import type { BucketAuth } from '@tidings/contracts';
import { checkSenderSignature, type CheckResult, type SignedRequest } from './sender-signature';
import { slowHashMatches } from './slow-hash';
import { CidrList } from './source-address';

/** A request as the bucket's checks see it. */
export interface CallerRequest extends SignedRequest {
  clientAddress: string;
}

/** Credentials proven right recently, so a sender's every request does not pay for argon2id. */
const PROVEN_LIMIT = 10_000;

/**
 * Runs a bucket's checks in order (source address, basic, token, signature); the first that
 * fails names the reason. `openSecret` unseals the bucket's signing secret.
 */
export class CallerCheck {
  private readonly proven = new Map<string, true>();
  private readonly checking = new Map<string, Promise<boolean>>();
  private readonly cidrs = new Map<string, CidrList>();

  /** `verify`: how a secret is checked against its stored hash (argon2id). */
  constructor(private readonly verify: (secret: string, stored: string) => Promise<boolean> = slowHashMatches) {}

  async check(auth: BucketAuth, request: CallerRequest, openSecret: () => string): Promise<CheckResult> {
    if (auth.sourceCidrs.length > 0 && !this.cidrList(auth.sourceCidrs).has(request.clientAddress)) {
      return { ok: false, reason: `source ${request.clientAddress} is outside the bucket's CIDRs` };
    }
    if (auth.basic) {
      const given = parseBasic(request.headers.authorization);
      if (!given || given.username !== auth.basic.username || !(await this.matches(given.password, auth.basic.passwordHash))) {
        return { ok: false, reason: 'basic credentials missing or wrong' };
      }
    }
    if (auth.token) {
      const given = request.headers[auth.token.header.toLowerCase()];
      if (!given || !(await this.matches(given, auth.token.tokenHash))) return { ok: false, reason: `${auth.token.header} missing or wrong` };
    }
    if (auth.signature) return checkSenderSignature(auth.signature, openSecret(), request);
    return { ok: true };
  }

  /**
   * Concurrent checks of the same credential share one argon2id run: a sender that opens with
   * 32 requests in flight would otherwise start 32 (each holds 19 MiB while it runs; issue 16).
   */
  private matches(secret: string, stored: string): Promise<boolean> {
    const key = createHash('sha256').update(stored).update('\0').update(secret).digest('base64');
    if (this.proven.has(key)) return Promise.resolve(true);
    let running = this.checking.get(key);
    if (!running) {
      running = this.verify(secret, stored).then((ok) => {
        if (ok) this.remember(key);
        return ok;
      }).finally(() => this.checking.delete(key));
      this.checking.set(key, running);
    }
    return running;
  }

  private remember(key: string): void {
    if (this.proven.size >= PROVEN_LIMIT) this.proven.delete(this.proven.keys().next().value!);
    this.proven.set(key, true);
  }

  private cidrList(cidrs: string[]): CidrList {
    const key = cidrs.join(' ');
    let list = this.cidrs.get(key);
    if (!list) this.cidrs.set(key, (list = new CidrList(cidrs)));
    return list;
  }
}

function parseBasic(header: string | undefined): { username: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
