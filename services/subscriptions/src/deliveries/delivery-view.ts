import type { DeadLetterCause, DeliveryState, DeliveryView } from '@tidings/contracts';
import type { DeliveryAttemptEntity } from './delivery-attempt.entity';

/** The dead letter of a batch as the view needs it (its event ids, not its events). */
export interface DeadLetterSummary {
  cause: DeadLetterCause;
  reason: string;
  deadLetteredAt: Date;
  replayedAt: Date | null;
  eventIds: string[];
}

/** `attempts`: the batch's attempts in the order they were made. */
export function toDeliveryView(batchId: string, attempts: DeliveryAttemptEntity[], deadLetter: DeadLetterSummary | null): DeliveryView {
  const last = attempts.at(-1);
  const state = deliveryState(last, deadLetter);
  return {
    batchId,
    state,
    eventIds: last?.eventIds ?? deadLetter?.eventIds ?? [],
    attempts: attempts.map((a) => ({
      attempt: a.attempt,
      outcome: a.outcome,
      status: a.status,
      reason: a.reason,
      latencyMs: a.latencyMs,
      attemptedAt: a.attemptedAt.toISOString(),
      nextAttemptAt: a.nextAttemptAt?.toISOString() ?? null,
    })),
    lastAttemptAt: last?.attemptedAt.toISOString() ?? null,
    nextAttemptAt: state === 'retrying' ? (last?.nextAttemptAt?.toISOString() ?? null) : null,
    deadLetter: deadLetter && {
      cause: deadLetter.cause,
      reason: deadLetter.reason,
      deadLetteredAt: deadLetter.deadLetteredAt.toISOString(),
      replayedAt: deadLetter.replayedAt?.toISOString() ?? null,
    },
  };
}

function deliveryState(last: DeliveryAttemptEntity | undefined, deadLetter: DeadLetterSummary | null): DeliveryState {
  // An attempt after the dead-lettering is a replay's: it tells the current state.
  if (deadLetter && (!last || last.attemptedAt <= deadLetter.deadLetteredAt)) return 'deadLettered';
  if (!last) return 'failed';
  if (last.outcome === 'delivered') return 'delivered';
  return last.nextAttemptAt ? 'retrying' : 'failed';
}
