import { ROOT_CONTEXT, context, trace, type Span } from '@opentelemetry/api';
import type { DeliveryBatch } from '@tidings/contracts';
import type { EndpointState } from '@tidings/endpoint-directory';
import type { SecretBox } from '@tidings/secret-box';
import type { AfterFailure, FailedBatchRouter } from '../retry/failed-batch-router';
import { deliveryTarget } from '../signing/endpoint-secrets';
import type { DeliveryRecordsProducer, EndpointRef } from './delivery-records.producer';
import type { AttemptOutcome, DeliveryKind, DeliveryTarget } from './delivery-terms';
import type { PublisherMetrics } from './publisher-metrics';
import type { EgressSlot } from './egress-client';
import type { WebhookDispatcher } from './webhook-dispatcher';

/** A payload is signed with its endpoint's secrets in force when sent; a notice names its own. */
export type Destination = { endpoint: EndpointState } | { target: DeliveryTarget };

/** What to send. `to` absent: nothing goes out (the endpoint was disabled or deleted meanwhile). */
export interface Formed {
  batch: DeliveryBatch;
  to: Destination | undefined;
  /** The span the attempt hangs under; otherwise the active one. */
  span?: Span;
  /** Runs once the batch is sure to go, before the POST (a lane records the batch's intent). */
  before?: () => Promise<void>;
}

interface Attempt {
  kind: DeliveryKind;
  attempt: number;
}

/** `form`'s answer when the batch would rather wait: for company (see `companyWaitMs`), or for its endpoint's rate limit. */
export interface Later {
  laterInMs: number;
  reason: 'company' | 'rateLimit';
}

/**
 * A lane forms its batch only once a connection is free, so that it takes in what arrived
 * while it waited; `form` is asked then (told whether the egress is backlogged), and may find
 * nothing left to send, or answer Later: the connection passes to the next in line, and after
 * the pause the lane queues for another (at the back: waiting lanes never spin on a slot).
 */
export type FormOnSlot = Attempt & { form(backlogged: boolean): Formed | Later | undefined };

/** Where a failed batch's retry chain began: when it first failed, and the trace it came from. */
export interface ChainOrigin {
  firstFailedAt: string;
  originTraceparent: string | null;
}

export type AfterAttempt = { next: 'delivered' } | AfterFailure;

/**
 * The one way a batch goes to an endpoint, for first tries (and replays, which come down the
 * lanes), retries and notices: take an egress slot, send, give the slot back in one `finally`
 * whatever happened; then `record` what the attempt came to. Recording is a second step
 * because a lane writes it in its serial order, and not at all once its partition is revoked.
 */
export class DeliverBatch {
  constructor(
    private readonly deps: {
      dispatcher: WebhookDispatcher;
      records: DeliveryRecordsProducer;
      router: FailedBatchRouter;
      secretBox: SecretBox;
      metrics: PublisherMetrics;
    },
  ) {}

  /** A batch already formed (a retry, a notice): sent once a slot is free. */
  async run(request: Attempt & Formed & { to: Destination }): Promise<AttemptOutcome> {
    return (await this.send(await this.deps.dispatcher.reserve(request.kind), request, request))!;
  }

  /**
   * A lane's send: its batch forms once a slot is its own (`FormOnSlot`). A lane may wait
   * behind thousands of others, so while it waits for a slot (or for company) it holds only
   * callbacks, no suspended async call. `onSent` gets what sending came to (undefined: nothing
   * was sent) once `form` has answered with a batch or nothing.
   */
  whenFormed(request: FormOnSlot, onSent: (sent: Promise<AttemptOutcome | undefined>) => void): void {
    const { dispatcher, metrics } = this.deps;
    dispatcher.whenReserved(request.kind, (slot) =>
      context.with(ROOT_CONTEXT, () => {
        let formed: Formed | Later | undefined;
        try {
          formed = request.form(dispatcher.backlogged);
        } catch (error) {
          slot.release();
          return onSent(Promise.reject(error as Error));
        }
        if (formed && 'laterInMs' in formed) {
          slot.release(); // to whoever waits longest; this lane queues again after the pause
          metrics.batchWaited(formed.reason);
          setTimeout(() => this.whenFormed(request, onSent), formed.laterInMs);
          return;
        }
        onSent(this.send(slot, request, formed));
      }),
    );
  }

  /** Sends `formed` (if there is anything to send) with `slot`, and gives the slot back whatever happens. */
  private async send(slot: EgressSlot, request: Attempt, formed: Formed | undefined): Promise<AttemptOutcome | undefined> {
    const { dispatcher, metrics, secretBox } = this.deps;
    try {
      if (!formed) return undefined;
      // Only a first try forms a batch; a retry or a notice re-sends one.
      if (request.kind === 'payload' && request.attempt === 1) metrics.batchFormed(formed.batch.events.length);
      const { to, batch, span } = formed;
      if (!to) return undefined;
      await formed.before?.();
      const target = 'endpoint' in to ? deliveryTarget(to.endpoint, secretBox) : to.target;
      const dispatch = () => dispatcher.dispatch(slot, request.kind, target, batch, request.attempt);
      return await (span ? context.with(trace.setSpan(ROOT_CONTEXT, span), dispatch) : dispatch());
    } finally {
      slot.release();
    }
  }

  /**
   * Writes what an attempt came to: the attempt record, and after a failure the records that
   * move the batch on (the next retry, or dead letters and the endpoint disabled).
   */
  async record(endpoint: EndpointRef, batch: DeliveryBatch, attempt: number, result: AttemptOutcome, origin: ChainOrigin): Promise<AfterAttempt> {
    if (result.outcome !== 'delivered') return this.deps.router.route(endpoint, batch, attempt, result, origin.firstFailedAt, origin.originTraceparent);
    await this.deps.records.attempt(endpoint, batch, attempt, result, null);
    return { next: 'delivered' };
  }

  /** A batch for a disabled endpoint is never sent: it is dead-lettered with the reason; returns that reason. */
  async refuse(endpoint: EndpointRef, batch: DeliveryBatch, attempts: number, disabledReason: string | null): Promise<string> {
    const reason = `endpoint disabled: ${disabledReason ?? 'no reason given'}`;
    await this.deps.records.deadLetter(endpoint, batch, 'endpointDisabled', attempts, reason);
    return reason;
  }
}
