import { Kafka, logLevel, type Consumer, type ConsumerConfig, type KafkaConfig as KafkaJsConfig, type LogEntry } from 'kafkajs';
import type { KafkaConfig } from '@tidings/config';
import type { Logger } from '@tidings/telemetry';
import { fixKafkajs } from './kafkajs-fixes';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** Told of every consumer made from the client (a readiness check follows each one's group). */
export type ConsumerObserver = (consumer: Consumer, groupId: string) => void;

/**
 * Consumers are made in several places (managed consumers, the transactional pipe, the lanes,
 * the retry chain, log replayers); observing them here means none can be left out.
 */
class ObservedKafka extends Kafka {
  constructor(
    config: KafkaJsConfig,
    private readonly observe: ConsumerObserver,
  ) {
    super(config);
  }

  override consumer(config: ConsumerConfig): Consumer {
    const consumer = super.consumer(config);
    this.observe(consumer, config.groupId);
    return consumer;
  }
}

/**
 * The one Kafka client factory of the repo: every producer, consumer and admin is made from
 * the client this returns, with kafkajs' own logs routed into the service's JSON log.
 */
export function createKafkaClient(config: KafkaConfig, logger: Logger, overrides: Partial<KafkaJsConfig> = {}, observeConsumer?: ConsumerObserver): Kafka {
  fixKafkajs();
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  const clientConfig: KafkaJsConfig = {
    clientId: config.clientId,
    brokers: config.brokers,
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 200, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...rest } = log;
        kafkaLogger[levels[level] ?? 'info'](rest, message);
      },
    ...overrides,
  };
  return observeConsumer ? new ObservedKafka(clientConfig, observeConsumer) : new Kafka(clientConfig);
}
