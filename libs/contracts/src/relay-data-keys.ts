import { z } from 'zod';
import { sealedSecretSchema } from './endpoint-config-events';
import type { RetrySchedule } from './retry-schedule';

/**
 * An ephemeral bucket's requests are sealed under short-lived data keys, not the master
 * keyring: their sealed copies sit in shared topics (the lanes, the retry chain, dead letters)
 * that keep a week or more, so forgetting the key is what deletes them (crypto-shredding).
 * A key is announced on `tidings.relay-data-keys.v1` (key = key id), sealed under the master
 * keyring, before anything is sealed under it; that topic keeps it only as long as
 * `relayDataKeyLifetimeMs`, and every reader forgets it at the same age.
 */
export const relayDataKeySchema = z.object({
  schemaVersion: z.literal(1),
  /** `ephemeral:<uuid>`: the `keyId` of what it seals. */
  keyId: z.string().startsWith('ephemeral:'),
  createdAt: z.iso.datetime({ offset: true }),
  /** The 32-byte AES key (base64), sealed under the master keyring with the key id as context. */
  key: sealedSecretSchema,
});

export type RelayDataKey = z.infer<typeof relayDataKeySchema>;

export const EPHEMERAL_KEY_PREFIX = 'ephemeral:';

const HOUR_MS = 60 * 60 * 1000;
const MIN_USE_MS = 10_000;

/**
 * The retry schedule's length with its jitter at the longest: the last retry is due by then.
 * Integer arithmetic, as the Helm chart's `tidings.retryScheduleSpanMs` does it.
 */
export function scheduleSpanMs(schedule: RetrySchedule): number {
  const sum = schedule.delaysMs.reduce((total, d) => total + d, 0);
  return Math.ceil((sum * (100 + Math.round(schedule.jitter * 100))) / 100);
}

/**
 * How long a data key seals new requests: an hour, or the schedule's length when shorter (10 s
 * at least), so a key never outlives a short schedule by much more than the schedule itself.
 */
export function relayDataKeyUseMs(schedule: RetrySchedule): number {
  return Math.max(MIN_USE_MS, Math.min(HOUR_MS, scheduleSpanMs(schedule)));
}

/**
 * How long a data key is kept from its creation: its use, the whole schedule for the last
 * request it sealed, and the same again (at most an hour) for the wait before a first attempt
 * (a lane behind others). After that an ephemeral request cannot be opened: its retries fail
 * as unreadable. With the default schedule (`1h*24`): 26 hours.
 */
export function relayDataKeyLifetimeMs(schedule: RetrySchedule): number {
  return 2 * relayDataKeyUseMs(schedule) + scheduleSpanMs(schedule);
}
