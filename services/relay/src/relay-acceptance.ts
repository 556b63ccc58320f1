import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { RelayedRequest, RelayRequestRecord } from '@tidings/contracts';
import { SecretBox } from '@tidings/secret-box';
import type { Logger } from '@tidings/telemetry';
import { DestinationWaiter, type WaitedAnswer } from './destination-waiter';
import { EphemeralSealer } from './ephemeral-sealer';
import type { RelayInput } from './relay-directory';
import { RelayRequestsProducer } from './relay-requests.producer';

export const ACCEPTANCE_LOGGER = Symbol('ACCEPTANCE_LOGGER');

/** What an accepted request comes to: its id, and for a waiting input that delivered, its destination's answer. */
export interface Accepted {
  requestId: string;
  delivered?: WaitedAnswer;
}

/**
 * Takes a request that passed its bucket's checks. It is sealed and written to Kafka before
 * anything is answered, so a crash after the answer loses nothing; the router then fans it out.
 * A waiting input's one (enabled) output gets it first, at once: a 2xx within the time limit
 * is the answer, and the record says it was delivered (logged, not routed); anything else is
 * delivered later, as any request.
 */
@Injectable()
export class RelayAcceptance {
  constructor(
    private readonly requests: RelayRequestsProducer,
    private readonly waiter: DestinationWaiter,
    @Inject(SecretBox) private readonly secretBox: SecretBox,
    @Inject(EphemeralSealer) private readonly ephemeral: EphemeralSealer,
    @Inject(ACCEPTANCE_LOGGER) private readonly logger: Logger,
  ) {}

  /** Throws when Kafka does not take it and it was not delivered: the caller is told to send again. */
  async accept(input: RelayInput, relayed: RelayedRequest, size: number): Promise<Accepted> {
    const requestId = randomUUID();
    const [output] = input.outputs;
    const waits = input.waitForDestinationMs !== null && input.outputs.length === 1 && output!.enabled;
    const answer = waits ? await this.waiter.send(output!.url, input.bucket.tailnet, requestId, relayed, input.waitForDestinationMs!) : undefined;
    const delivered = answer && answer.status >= 200 && answer.status < 300 ? answer : undefined;
    // An ephemeral bucket's request is sealed under a short-lived data key (crypto-shredding).
    const plaintext = JSON.stringify(relayed);
    const sealed = input.bucket.ephemeral ? await this.ephemeral.seal(plaintext, requestId).catch((error: unknown) => this.unsealable(error, delivered)) : this.secretBox.seal(plaintext, requestId);
    if (sealed === undefined) return { requestId, delivered };
    const record: RelayRequestRecord = {
      schemaVersion: 1,
      requestId,
      inputId: input.inputId,
      bucketId: input.bucket.bucketId,
      tailnet: input.bucket.tailnet,
      receivedAt: new Date().toISOString(),
      method: relayed.method,
      size,
      ephemeral: input.bucket.ephemeral,
      request: sealed,
      ...(delivered ? { delivered: true } : {}),
    };
    try {
      await this.requests.accepted(record);
    } catch (error) {
      if (!delivered) throw error;
      // Delivered already: only its log entry is lost; sending again would deliver it twice.
      this.logger.error({ inputId: input.inputId, requestId, err: (error as Error).message }, 'delivered relay request not logged');
    }
    return { requestId, delivered };
  }

  /** No data key could be announced: a delivered request goes unlogged, any other is refused. */
  private unsealable(error: unknown, delivered: WaitedAnswer | undefined): undefined {
    if (!delivered) throw error;
    this.logger.error({ err: (error as Error).message }, 'delivered ephemeral relay request not logged: no data key');
    return undefined;
  }
}
