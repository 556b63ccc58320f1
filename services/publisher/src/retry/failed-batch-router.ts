import { nextDelay, type DeliveryBatch, type RetrySchedule, type RetryTopic } from '@tidings/contracts';
import type { DeliveryRecordsProducer, EndpointRef } from '../delivery/delivery-records.producer';
import type { AttemptOutcome } from '../delivery/delivery-terms';

export type FailedAttempt = Exclude<AttemptOutcome, { outcome: 'delivered' }>;

/**
 * The shortest wait, whatever Retry-After says: the lane records the endpoint's hold just after
 * the retry record is written, and the retry must not fall due before that.
 */
const MIN_RETRY_DELAY_MS = 1_000;

export type AfterFailure = { next: 'retry'; attempt: number; dueAt: Date } | { next: 'deadLettered'; reason: string };

/**
 * Where a batch goes after a failed attempt, the one rule for first tries and retries alike:
 * 410 Gone → dead letters and the endpoint disabled at once; schedule exhausted → the same;
 * otherwise the retry topic of the next delay, due then (Retry-After may shorten the wait).
 * It writes the attempt record and the records that carry the decision; the caller keeps the
 * endpoint's hold in step.
 */
export class FailedBatchRouter {
  private readonly topicByDelay: Map<number, string>;

  constructor(
    private readonly records: DeliveryRecordsProducer,
    private readonly schedule: RetrySchedule,
    retryTopics: RetryTopic[],
  ) {
    this.topicByDelay = new Map(retryTopics.map((t) => [t.delayMs, t.name]));
  }

  async route(endpoint: EndpointRef, batch: DeliveryBatch, attempt: number, result: FailedAttempt, firstFailedAt: string, originTraceparent: string | null): Promise<AfterFailure> {
    if (result.outcome === 'gone') {
      await this.records.attempt(endpoint, batch, attempt, result, null);
      await this.giveUp(endpoint, batch, 'gone', attempt, result.reason);
      return { next: 'deadLettered', reason: result.reason };
    }
    const delay = nextDelay(this.schedule, attempt, { retryAfterMs: result.retryAfterMs });
    if (delay === undefined) {
      const reason = `not delivered after ${attempt} attempts since ${firstFailedAt}; the last: ${result.reason}`;
      await this.records.attempt(endpoint, batch, attempt, result, null);
      await this.giveUp(endpoint, batch, 'exhausted', attempt, reason);
      return { next: 'deadLettered', reason };
    }
    const dueAt = new Date(Date.now() + Math.max(delay, MIN_RETRY_DELAY_MS));
    const topic = this.topicByDelay.get(this.schedule.delaysMs[attempt - 1]!)!;
    await this.records.attempt(endpoint, batch, attempt, result, dueAt);
    await this.records.retry(topic, endpoint, { batch, attempt: attempt + 1, dueAt, firstFailedAt, lastFailure: { status: result.status, reason: result.reason }, originTraceparent });
    return { next: 'retry', attempt: attempt + 1, dueAt };
  }

  private async giveUp(endpoint: EndpointRef, batch: DeliveryBatch, cause: 'gone' | 'exhausted', attempts: number, reason: string): Promise<void> {
    await this.records.deadLetter(endpoint, batch, cause, attempts, reason);
    await this.records.disableEndpoint(endpoint, reason);
  }
}
