/**
 * Every Postgres advisory lock id the services take, in one table. The services share one
 * database (one DATABASE_URL), so two uses of one id would make unrelated work wait on each
 * other: a publisher migrating at boot once stalled the subscriptions outbox relay, and with it
 * API writes. Add a lock here, never as a literal beside its use.
 */
export const ADVISORY_LOCKS = {
  /** Serialises the subscriptions service's migrations across replicas (and the CLI). */
  subscriptionsMigrations: 7_117_001,
  /** Only one outbox relay publishes at a time, so records leave in the order they were written. */
  outboxRelay: 7_117_002,
  /** Serialises the publisher's migrations across replicas. */
  publisherMigrations: 7_117_003,
} as const;

export type AdvisoryLock = keyof typeof ADVISORY_LOCKS;
/** An id from the table: a bare number does not type-check where a lock is taken. */
export type AdvisoryLockId = (typeof ADVISORY_LOCKS)[AdvisoryLock];

/** Lock names that share an id with another lock; empty when every id is unique. */
export function sharedAdvisoryLockIds(locks: Readonly<Record<string, number>> = ADVISORY_LOCKS): string[] {
  const byId = new Map<number, string[]>();
  for (const [name, id] of Object.entries(locks)) byId.set(id, [...(byId.get(id) ?? []), name]);
  return [...byId.values()].filter((names) => names.length > 1).flat();
}
