import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Kafka, Message, Producer, RecordMetadata } from 'kafkajs';
import { CoalescingProducer, sendTraced } from '@tidings/kafka';
import { KAFKA_CLIENT } from './tokens';

/**
 * The service's one idempotent producer (acks=all, no duplicates from producer retries),
 * connected before the app serves and flushed on shutdown. Concurrent sends share produce
 * requests (see CoalescingProducer).
 */
@Injectable()
export class KafkaProducerService implements OnModuleInit, OnApplicationShutdown {
  private readonly producer: Producer;
  private readonly coalescing: CoalescingProducer;

  constructor(@Inject(KAFKA_CLIENT) kafka: Kafka) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    this.coalescing = new CoalescingProducer(this.producer);
  }

  async onModuleInit(): Promise<void> {
    await this.producer.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.disconnect();
  }

  send(topic: string, messages: Message[]): Promise<RecordMetadata[]> {
    return sendTraced(this.coalescing, topic, messages);
  }
}
