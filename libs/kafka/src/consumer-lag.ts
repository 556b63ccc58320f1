import type { Admin } from 'kafkajs';

export interface TopicLag {
  topic: string;
  /** Records written and not yet committed by the group, summed over the topic's partitions. */
  lag: number;
}

/**
 * A consumer group's lag per topic, from the brokers' view (committed offsets against high
 * watermarks), so it is the same whichever instance asks. A partition the group never
 * committed counts from its low watermark: everything still retained is unread.
 */
export async function consumerGroupLag(admin: Admin, groupId: string, topics: string[]): Promise<TopicLag[]> {
  const [committed, ends] = await Promise.all([
    admin.fetchOffsets({ groupId, topics }),
    Promise.all(topics.map(async (topic) => ({ topic, partitions: await admin.fetchTopicOffsets(topic) }))),
  ]);
  return ends.map(({ topic, partitions }) => {
    const at = new Map((committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    const lag = partitions.reduce((sum, p) => sum + Math.max(0, Number(p.high) - Math.max(at.get(p.partition) ?? -1, Number(p.low))), 0);
    return { topic, lag };
  });
}
