import type { Admin, ITopicConfig, Kafka } from 'kafkajs';
import { ConfigResourceTypes } from 'kafkajs';
import type { TopicSpec } from '@tidings/contracts';

export interface ProvisionReport {
  created: string[];
  updated: string[];
  unchanged: string[];
}

/**
 * Makes the cluster match the topic specs: creates missing topics, raises partition counts
 * that are too low (never lowers: Kafka cannot), and sets the spec's configs on existing
 * topics. Idempotent and safe to run from several services at once.
 */
export async function provisionTopics(admin: Admin, specs: TopicSpec[], attempts = 10): Promise<ProvisionReport> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await provisionOnce(admin, specs);
    } catch (error) {
      // Right after a create, KRaft brokers may not know the topic yet: provisioning is
      // idempotent, so take it from the top.
      if (attempt >= attempts || !isMetadataLag(error)) throw error;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

/** The same with an admin of its own, disconnected whatever happens (a connected admin keeps a process alive). */
export async function provisionTopicsWith(kafka: Kafka, specs: TopicSpec[]): Promise<ProvisionReport> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await provisionTopics(admin, specs);
  } finally {
    await admin.disconnect();
  }
}

const isMetadataLag = (error: unknown) => /does not host this topic-partition|LEADER_NOT_AVAILABLE|leader|UNKNOWN_TOPIC/i.test(`${(error as Error).message} ${(error as { type?: string }).type ?? ''}`);

/**
 * KRaft brokers learn of a new topic's leaders a moment after CreateTopics returns; until then
 * ListOffsets answers "not the leader". Waits until every new topic answers, so nothing that
 * starts right after provisioning (consumers, log replayers) meets that window.
 */
async function untilServed(admin: Admin, topics: string[], attempts = 50): Promise<void> {
  for (const topic of topics) {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await admin.fetchTopicOffsets(topic);
        break;
      } catch (error) {
        if (attempt >= attempts || !isMetadataLag(error)) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

async function provisionOnce(admin: Admin, specs: TopicSpec[]): Promise<ProvisionReport> {
  const report: ProvisionReport = { created: [], updated: [], unchanged: [] };
  const existing = new Set(await admin.listTopics());

  const missing = specs.filter((s) => !existing.has(s.name));
  if (missing.length > 0) {
    const topics: ITopicConfig[] = missing.map((s) => ({
      topic: s.name,
      numPartitions: s.partitions,
      replicationFactor: -1,
      configEntries: Object.entries(s.config).map(([name, value]) => ({ name, value })),
    }));
    try {
      await admin.createTopics({ topics, waitForLeaders: true });
    } catch (error) {
      // Another instance created it between our list and create: that is the goal anyway.
      if (!String((error as Error).message).includes('already exists')) throw error;
    }
    report.created.push(...missing.map((s) => s.name));
    await untilServed(admin, missing.map((s) => s.name));
  }

  const present = specs.filter((s) => existing.has(s.name));
  if (present.length === 0) return report;

  const metadata = await admin.fetchTopicMetadata({ topics: present.map((s) => s.name) });
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: present.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.name, configNames: Object.keys(s.config) })),
  });

  for (const spec of present) {
    let changed = false;
    const partitions = metadata.topics.find((t) => t.name === spec.name)?.partitions.length ?? 0;
    if (partitions < spec.partitions) {
      await admin.createPartitions({ topicPartitions: [{ topic: spec.name, count: spec.partitions }] });
      changed = true;
    }
    const current = configs.resources.find((r) => r.resourceName === spec.name)?.configEntries ?? [];
    const drift = Object.entries(spec.config).some(([name, value]) => current.find((c) => c.configName === name)?.configValue !== value);
    if (drift) {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: spec.name, configEntries: Object.entries(spec.config).map(([name, value]) => ({ name, value })) }],
      });
      changed = true;
    }
    (changed ? report.updated : report.unchanged).push(spec.name);
  }
  return report;
}
