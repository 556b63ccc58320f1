import { egressRequestTarget, HTTP_HEADERS, WAITED_ANSWER_MAX_BYTES, type RelayedRequest } from '@tidings/contracts';
import { forwardedRequest } from '@tidings/relay-forwarding';
import { Pool } from 'undici';

/** A destination's answer, as passed back to the caller of a waiting input. */
export interface WaitedAnswer {
  status: number;
  contentType: string | undefined;
  body: Buffer;
}

/**
 * Sends a request to a waiting input's one output at once, through the egress like every
 * delivery (absolute-form, the egress originating TLS and judging the address for the tailnet),
 * and gives back its answer if it came in time: undefined otherwise (too slow, refused, or a
 * body past WAITED_ANSWER_MAX_BYTES). Never retried here: what did not deliver is delivered
 * later by the publisher, under the same relay id.
 */
export class DestinationWaiter {
  private readonly pool: Pool;

  constructor(proxyUrl: string) {
    this.pool = new Pool(proxyUrl, { connections: 32, keepAliveTimeout: 30_000 });
  }

  async send(outputUrl: string, tailnet: string, requestId: string, relayed: RelayedRequest, timeoutMs: number): Promise<WaitedAnswer | undefined> {
    const request = forwardedRequest(outputUrl, requestId, relayed);
    const target = egressRequestTarget(request.url);
    try {
      const response = await this.pool.request({
        method: request.method as 'POST',
        path: target.path,
        headers: { ...request.headers, ...target.headers, [HTTP_HEADERS.egressTailnet]: tailnet },
        body: request.body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      // An egress refusal is not the destination's answer.
      if (response.headers[HTTP_HEADERS.egressReasonCode]) {
        await response.body.dump();
        return undefined;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length;
        if (size > WAITED_ANSWER_MAX_BYTES) {
          response.body.destroy();
          return undefined;
        }
        chunks.push(chunk as Buffer);
      }
      const type = response.headers['content-type'];
      return { status: response.statusCode, contentType: Array.isArray(type) ? type[0] : type, body: Buffer.concat(chunks) };
    } catch {
      return undefined;
    }
  }

  /** Nest's shutdown hook: the pool's connections close with the app. */
  onApplicationShutdown(): Promise<void> {
    return this.pool.close();
  }
}
