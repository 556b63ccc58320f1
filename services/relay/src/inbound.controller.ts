import { All, Controller, Inject, Param, Req, Res } from '@nestjs/common';
import { DEFAULT_STATIC_ANSWER, HTTP_HEADERS, type StaticAnswer } from '@tidings/contracts';
import { CallerCheck, CidrList, clientAddress } from '@tidings/relay-auth';
import { SecretBox } from '@tidings/secret-box';
import { TokenBuckets } from '@tidings/token-buckets';
import type { Logger } from '@tidings/telemetry';
import type { Request, Response } from 'express';
import { RelayDirectory } from './relay-directory';
import { RelayMetrics } from './relay-metrics';
import { RelayAcceptance, type Accepted } from './relay-acceptance';
import { flatHeaders, relayedRequest } from './relayed-request';
import { readBody } from './request-body';

export const RELAY_LOGGER = Symbol('RELAY_LOGGER');
export const TRUSTED_PROXIES = Symbol('TRUSTED_PROXIES');

/** An unknown input reads at most this much before it answers, like a known one with the largest limit. */
const UNKNOWN_INPUT_BODY_LIMIT = 10 * 1024 * 1024;

/**
 * The public side: `/in/{inputId}`. A request that passes its bucket's checks is accepted (see
 * RelayAcceptance: sealed and in Kafka before the caller is answered). An unknown
 * input answers exactly as a known one does by default; a failed check forwards nothing.
 * Logs and metrics carry method, status, size and time, never what the request said.
 */
@Controller('in')
export class InboundController {
  private readonly checks = new CallerCheck();
  private readonly rates = new TokenBuckets();

  constructor(
    private readonly directory: RelayDirectory,
    private readonly acceptance: RelayAcceptance,
    private readonly metrics: RelayMetrics,
    @Inject(SecretBox) private readonly secretBox: SecretBox,
    @Inject(TRUSTED_PROXIES) private readonly trustedProxies: CidrList,
    @Inject(RELAY_LOGGER) private readonly logger: Logger,
  ) {}

  @All(':inputId')
  async receive(@Param('inputId') inputId: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const started = performance.now();
    const input = this.directory.input(inputId);
    // Before any check: a flood costs a map lookup, not argon2id or a Kafka write.
    const limitedMs = input?.rateLimit ? this.rates.waitMs(inputId, input.rateLimit, Date.now()) : 0;
    if (limitedMs > 0) {
      req.resume();
      res.status(429).set('retry-after', String(Math.ceil(limitedMs / 1000))).type('text/plain').send('too many requests\n');
      this.metrics.request('rateLimited', 429, 0, performance.now() - started);
      return;
    }
    if (input?.rateLimit) this.rates.spend(inputId, input.rateLimit, Date.now());
    const body = await readBody(req, input?.bodyLimitBytes ?? UNKNOWN_INPUT_BODY_LIMIT);
    const done = (outcome: string, status: number, size: number) => {
      this.metrics.request(outcome, status, size, performance.now() - started);
      this.logger.info({ inputId, method: req.method, status, size, outcome, ms: Math.round(performance.now() - started) }, 'relay request');
    };
    if (!body.ok) {
      res.status(413).set('connection', 'close').type('text/plain').send('request body too large\n');
      return done('tooLarge', 413, 0);
    }
    if (!input) {
      answer(res, DEFAULT_STATIC_ANSWER);
      return done('unknownInput', DEFAULT_STATIC_ANSWER.status, body.body.length);
    }
    const { bucket } = input;
    const headers = flatHeaders(req.headers);
    const client = clientAddress(req.socket.remoteAddress ?? '', headers['x-forwarded-for'], this.trustedProxies);
    const verdict = input.methods.includes(req.method)
      ? await this.checks.check(bucket.auth, { headers, body: body.body, clientAddress: client }, () => this.secretBox.open(bucket.auth.signature!.secret, bucket.bucketId))
      : { ok: false as const, reason: `method ${req.method} is not accepted` };
    if (!verdict.ok) {
      this.logger.warn({ inputId, bucketId: bucket.bucketId, reason: verdict.reason }, 'relay request refused');
      if (bucket.auth.onFailure === 'staticAnswer') answer(res, bucket.answer);
      else res.status(401).type('text/plain').send('unauthorized\n');
      return done('refused', bucket.auth.onFailure === 'staticAnswer' ? bucket.answer.status : 401, body.body.length);
    }
    const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
    let accepted: Accepted;
    try {
      accepted = await this.acceptance.accept(input, relayedRequest(req.method, query, headers, body.body, client, bucket.auth), body.body.length);
    } catch (error) {
      // Not durable, so not accepted: the sender retries, as it would for any 503.
      this.logger.error({ inputId, err: (error as Error).message }, 'relay request not stored');
      res.status(503).set('retry-after', '5').type('text/plain').send('try again later\n');
      return done('notStored', 503, body.body.length);
    }
    res.set(HTTP_HEADERS.relayRequestId, accepted.requestId);
    if (accepted.delivered) {
      // The destination's own answer, as the input waited for it.
      const { status, contentType, body: answered } = accepted.delivered;
      // setHeader, not set: Express would append a charset to what the destination said.
      if (contentType) res.setHeader('content-type', contentType);
      res.status(status).send(answered);
      return done('delivered', status, body.body.length);
    }
    answer(res, bucket.answer);
    done('accepted', bucket.answer.status, body.body.length);
  }
}

function answer(res: Response, a: StaticAnswer): void {
  res.status(a.status).set('content-type', a.contentType).send(a.body);
}
