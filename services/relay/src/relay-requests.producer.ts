import { Injectable, Inject } from '@nestjs/common';
import type { RelayRequestRecord, TopicNames } from '@tidings/contracts';
import { KafkaProducerService } from '@tidings/kafka-nest';

export const RELAY_TOPICS = Symbol('RELAY_TOPICS');

/** Writes an accepted request to its input's lane of the relay-requests topic; resolves once every in-sync replica has it. */
@Injectable()
export class RelayRequestsProducer {
  constructor(
    private readonly producer: KafkaProducerService,
    @Inject(RELAY_TOPICS) private readonly topics: TopicNames,
  ) {}

  async accepted(record: RelayRequestRecord): Promise<void> {
    await this.producer.send(this.topics.relayRequests, [{ key: record.inputId, value: JSON.stringify(record) }]);
  }
}
