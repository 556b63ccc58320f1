import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { KafkaConfig } from '@tidings/config';
import { batchReplayRecordSchema, type BatchReplayRecord } from '@tidings/contracts';
import { KAFKA_CONFIG, KafkaProducerService } from '@tidings/kafka-nest';
import { In, IsNull, type DataSource } from 'typeorm';
import type { Principal } from '../api-keys/api-keys.service';
import { EndpointQueriesService } from '../endpoints/endpoint-queries.service';
import type { DeliveryScope } from './delivery-scope';
import { webhookScope } from './delivery-queries.service';
import { DeadLetterEntity } from './dead-letter.entity';
import { DeliveryAttemptEntity } from './delivery-attempt.entity';

/** Dead letters sent per Kafka request when re-enabling. */
const PAGE = 100;

/**
 * Sends dead-lettered batches again, as they were (same id, same events), on the endpoint's
 * lane, so the publisher delivers them in the endpoint's order. Each replay is a new request:
 * replaying a batch twice sends it twice. The record is produced before `replayed_at` is set,
 * so a crash in between leaves the batch looking unreplayed, never the reverse.
 */
@Injectable()
export class BatchReplayService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly endpoints: EndpointQueriesService,
    private readonly producer: KafkaProducerService,
    @Inject(KAFKA_CONFIG) private readonly kafka: KafkaConfig,
  ) {}

  /** 404: no such batch for the endpoint; 409: not dead-lettered, or the endpoint is disabled. */
  async replay(principal: Principal, endpointId: string, batchId: string): Promise<void> {
    await this.replayIn(webhookScope(await this.endpoints.get(principal, endpointId)), batchId, principal.loginName);
  }

  async replayIn(endpoint: DeliveryScope, batchId: string, requestedBy: string): Promise<void> {
    const scope = { batchId, endpointId: endpoint.endpointId, tailnet: endpoint.tailnet };
    const deadLetter = await this.dataSource.getRepository(DeadLetterEntity).findOneBy(scope);
    if (!deadLetter) {
      if (await this.dataSource.getRepository(DeliveryAttemptEntity).existsBy(scope)) {
        throw new ConflictException(`batch ${batchId} was not dead-lettered: only dead-lettered batches can be replayed`);
      }
      throw new NotFoundException(`delivery ${batchId} of ${endpoint.label} not found`);
    }
    if (endpoint.disabled) throw new ConflictException(`${endpoint.label} is disabled: enable it first`);
    await this.send(endpoint, [deadLetter], requestedBy);
  }

  /** Every dead letter of the endpoint not replayed yet, oldest first; returns how many. */
  async replayPending(principal: Principal, endpoint: DeliveryScope): Promise<number> {
    const repository = this.dataSource.getRepository(DeadLetterEntity);
    // The list is fixed first, so each pending batch is sent once, in order, however many there are.
    const pending = await repository.find({
      select: { batchId: true },
      where: { endpointId: endpoint.endpointId, tailnet: endpoint.tailnet, replayedAt: IsNull() },
      order: { deadLetteredAt: 'ASC', batchId: 'ASC' },
    });
    for (let i = 0; i < pending.length; i += PAGE) {
      const ids = pending.slice(i, i + PAGE).map((d) => d.batchId);
      const byId = new Map((await repository.findBy({ batchId: In(ids) })).map((d) => [d.batchId, d]));
      await this.send(endpoint, ids.flatMap((id) => byId.get(id) ?? []), principal.loginName);
    }
    return pending.length;
  }

  private async send(endpoint: DeliveryScope, deadLetters: DeadLetterEntity[], requestedBy: string): Promise<void> {
    if (deadLetters.length === 0) return;
    const records = deadLetters.map((d) =>
      batchReplayRecordSchema.parse({
        schemaVersion: 1,
        kind: 'replay',
        endpointId: endpoint.endpointId,
        tailnet: endpoint.tailnet,
        batch: { id: d.batchId, events: d.events },
        requestedBy,
      } satisfies BatchReplayRecord),
    );
    // One key, so one partition, in this order.
    await this.producer.send(this.kafka.topics.webhookEvents, records.map((r) => ({ key: endpoint.endpointId, value: JSON.stringify(r) })));
    await this.dataSource.getRepository(DeadLetterEntity).update({ batchId: In(deadLetters.map((d) => d.batchId)) }, { replayedAt: () => 'now()' });
  }
}
