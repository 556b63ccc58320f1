import type { Admin } from 'kafkajs';
import { Client } from 'pg';
import { CONSUMERS, resolveConsumer, type ConsumerName, type TopicNames } from '@tidings/contracts';
import type { LedgerRow } from './ledger';
import type { Instance } from './service-fleet';

/** The chart's memory limits (helm/tidings/values.yaml): what "within bounds" means for RSS. */
const MEMORY_LIMIT_MIB: Record<string, number> = { egress: 320, subscriptions: 320, trigger: 320, publisher: 384 };

/**
 * After the faults stop and the work drains, the system must be back at rest: no endpoint
 * held (other than disabled ones, whose dead letters wait for an enable), no outbox row
 * unpublished, every committing consumer group caught up (at most a transaction marker per
 * partition), every instance up and within its memory limit.
 */
export async function auditRestingState(options: { databaseUrl: string; admin: Admin; prefix: string; topics: TopicNames; instances: Instance[] }): Promise<LedgerRow[]> {
  const rows: LedgerRow[] = [];
  const db = new Client({ connectionString: options.databaseUrl });
  await db.connect();
  try {
    const held = await db.query<{ endpoint_id: string; state: string }>(`SELECT endpoint_id, state FROM publisher_delivery_holds WHERE state <> 'deadLettered'`);
    const parked = await db.query<{ n: string }>(`SELECT count(*) AS n FROM publisher_waiting_items w WHERE NOT EXISTS (SELECT 1 FROM publisher_delivery_holds h WHERE h.endpoint_id = w.endpoint_id AND h.state = 'deadLettered')`);
    rows.push({ check: 'no endpoint left held', ok: held.rowCount === 0 && Number(parked.rows[0]!.n) === 0, detail: `${held.rowCount} holds, ${parked.rows[0]!.n} parked events${held.rows.slice(0, 3).map((r) => `; ${r.endpoint_id} ${r.state}`).join('')}` });
    const outbox = await db.query<{ n: string }>('SELECT count(*) AS n FROM outbox WHERE published_at IS NULL');
    rows.push({ check: 'no outbox row pending', ok: Number(outbox.rows[0]!.n) === 0, detail: `${outbox.rows[0]!.n} pending` });
  } finally {
    await db.end();
  }

  const lagging: string[] = [];
  const groups: string[] = [];
  for (const name of Object.keys(CONSUMERS) as ConsumerName[]) {
    const consumer = resolveConsumer(name, { prefix: options.prefix, topics: options.topics });
    if (consumer.mode === 'replay' || consumer.topics.length === 0) continue;
    let lag = 0;
    let partitions = 0;
    const committed = await options.admin.fetchOffsets({ groupId: consumer.groupId, topics: consumer.topics });
    for (const topic of consumer.topics) {
      const ends = await options.admin.fetchTopicOffsets(topic);
      const mine = committed.find((c) => c.topic === topic)?.partitions ?? [];
      for (const end of ends) {
        partitions += 1;
        const at = Number(mine.find((p) => p.partition === end.partition)?.offset ?? -1);
        lag += Number(end.high) - (at < 0 ? Number(end.low) : at);
      }
    }
    groups.push(`${name} ${lag}`);
    if (lag > partitions) lagging.push(`${consumer.groupId} lags ${lag} over ${partitions} partitions`);
  }
  rows.push({ check: "every consumer group's lag at rest", ok: lagging.length === 0, detail: lagging.length === 0 ? groups.join(', ') : lagging.join('; ') });

  const over = options.instances.filter((i) => !i.up || i.rssMiB() > MEMORY_LIMIT_MIB[i.name]!);
  const memory = options.instances.map((i) => `${i.label} ${i.rssMiB()} (peak ${i.peakRssMiB})`).join(', ');
  rows.push({ check: 'every instance up and within its memory limit', ok: over.length === 0, detail: `MiB: ${memory}` });
  return rows;
}
