import { createHash } from 'node:crypto';

/**
 * A batch id (`webhook-id`) derived from where the batch's events came from, so the same
 * events re-formed after a crash or a rebalance carry the same id, and different events never do.
 */
export function batchIdFor(origin: string): string {
  return `msg_${createHash('sha256').update(origin).digest('hex').slice(0, 32)}`;
}
