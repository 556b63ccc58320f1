import type { Kafka } from 'kafkajs';

/** A partition's last stable offset (read_committed) and, when it was asked for, its first. */
export interface PartitionEnd {
  partition: number;
  high: bigint;
  low?: bigint;
}

/** The part of kafkajs' Cluster (its internals) this reader uses. */
interface ClusterInternals {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number }[];
  fetchTopicsOffset(topics: { topic: string; fromBeginning: boolean; partitions: { partition: number }[] }[]): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}

/** Partitions are added by an operator, not at run time: metadata is asked for again after this. */
const METADATA_MAX_AGE_MS = 60_000;

/**
 * A topic's end offsets in one ListOffsets round trip. kafkajs' `admin.fetchTopicOffsets` takes
 * three: its admin never keeps metadata, and it asks for both ends of every partition (issue
 * 16: a third of the trigger's requests at steady load, before every batch). The cluster is
 * built by kafkajs' own factory, which it keeps behind a symbol: kafkajs 2.2.4 is its last
 * release, and `end-offsets.integration.spec` fails if that ever changes.
 */
export class EndOffsets {
  private readonly cluster: ClusterInternals;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
  ) {
    const factory = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
    const create = factory && (kafka as unknown as Record<symbol, unknown>)[factory];
    if (typeof create !== 'function') throw new Error('kafkajs has no cluster factory where 2.2.4 keeps it');
    this.cluster = (create as (options: object) => ClusterInternals)({ metadataMaxAge: METADATA_MAX_AGE_MS, allowAutoTopicCreation: false });
  }

  async connect(): Promise<void> {
    await this.cluster.connect();
    await this.cluster.addTargetTopic(this.topic);
  }

  /**
   * Every partition's last stable offset, and the first offset of those `withLow` names that
   * are not empty (a second request, only when there are any).
   */
  async read(withLow: (partition: number) => boolean = () => false): Promise<PartitionEnd[]> {
    try {
      await this.cluster.refreshMetadataIfNecessary();
      const partitions = this.cluster.findTopicPartitionMetadata(this.topic).map((p) => ({ partition: p.partitionId }));
      const ends = await this.offsets(partitions, false);
      const lowOf = ends.filter((p) => p.high > 0n && withLow(p.partition));
      if (lowOf.length === 0) return ends;
      const lows = new Map((await this.offsets(lowOf, true)).map((p) => [p.partition, p.high]));
      return ends.map((p) => ({ ...p, low: lows.get(p.partition) }));
    } catch (error) {
      // A moved leader or a changed topic: the next read asks for metadata first.
      await this.cluster.refreshMetadata().catch(() => undefined);
      throw error;
    }
  }

  private async offsets(partitions: { partition: number }[], fromBeginning: boolean): Promise<PartitionEnd[]> {
    const [answer] = await this.cluster.fetchTopicsOffset([{ topic: this.topic, fromBeginning, partitions: partitions.map(({ partition }) => ({ partition })) }]);
    return (answer?.partitions ?? []).map((p) => ({ partition: p.partition, high: BigInt(p.offset) }));
  }

  async disconnect(): Promise<void> {
    await this.cluster.disconnect();
  }
}
