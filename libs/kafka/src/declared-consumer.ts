import { randomUUID } from 'node:crypto';
import type { ResolvedConsumer } from '@tidings/contracts';
import type { Logger } from '@tidings/telemetry';
import type { Consumer, ConsumerConfig, Kafka } from 'kafkajs';

/** A consumer built against its declaration in `CONSUMERS` does not match it: the service must not boot. */
export class ConsumerDeclarationError extends Error {
  override readonly name = 'ConsumerDeclarationError';
}

/**
 * Shared by every group member: a member that misses heartbeats for 30 s is dropped and its
 * partitions reassigned; 3 s heartbeats keep a member that is only busy.
 */
const SESSION_TIMEOUT_MS = 30_000;
const HEARTBEAT_INTERVAL_MS = 3_000;
/** Retries of a subscribe the broker calls retriable, with a linear backoff of 200 ms steps. */
const SUBSCRIBE_ATTEMPTS = 10;

export interface OpenedConsumer {
  consumer: Consumer;
  /** Subscribes to the declared topics (from the beginning, for a group without offsets). */
  subscribe(): Promise<void>;
}

/**
 * The one way a service makes a Kafka consumer: group id, topics and fetch wait come from its
 * declaration, the timeouts are shared, and `handledTopics` (what the caller will handle) must
 * equal the declared topics exactly, else it throws at boot, naming both sides.
 */
export function openDeclaredConsumer(
  kafka: Kafka,
  declared: ResolvedConsumer,
  options: { handledTopics: string[]; logger: Logger; config?: Partial<ConsumerConfig> },
): OpenedConsumer {
  assertHandled(declared, options.handledTopics);
  // A replay reads the whole log on every boot: a group of its own per instance.
  const groupId = declared.mode === 'replay' ? `${declared.groupId}.${randomUUID()}` : declared.groupId;
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: SESSION_TIMEOUT_MS,
    heartbeatInterval: HEARTBEAT_INTERVAL_MS,
    maxWaitTimeInMs: declared.fetchWaitMs,
    readUncommitted: false,
    ...options.config,
  });
  return { consumer, subscribe: () => subscribeWithRetry(consumer, declared.topics, options.logger) };
}

function assertHandled(declared: ResolvedConsumer, handled: string[]): void {
  const missing = declared.topics.filter((t) => !handled.includes(t));
  const undeclared = handled.filter((t) => !declared.topics.includes(t));
  if (missing.length + undeclared.length === 0) return;
  throw new ConsumerDeclarationError(
    `consumer ${declared.name} (${declared.groupId}): ` +
      [missing.length > 0 ? `declared topics without a handler: ${missing.join(', ')}` : '', undeclared.length > 0 ? `handled topics without a declaration: ${undeclared.join(', ')}` : '']
        .filter(Boolean)
        .join('; '),
  );
}

/**
 * Topics provisioned a moment ago may not be in every broker's metadata yet (KRaft answers
 * "does not host this topic-partition"), which kafkajs marks retriable: retried here, briefly,
 * for every consumer, instead of at each call site.
 */
async function subscribeWithRetry(consumer: Consumer, topics: string[], logger: Logger): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await consumer.subscribe({ topics, fromBeginning: true });
      return;
    } catch (error) {
      if (attempt >= SUBSCRIBE_ATTEMPTS || (error as { retriable?: boolean }).retriable !== true) throw error;
      logger.warn({ err: error, topics, attempt }, 'subscribing failed; retrying');
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

/**
 * A service's boot check: the consumers it built are exactly the ones it declares (by name).
 * Run where the service assembles its consumers, before any starts.
 */
export function assertConsumersBuilt(declared: ResolvedConsumer[], built: string[]): void {
  const names = declared.map((d) => d.name as string);
  const missing = names.filter((n) => !built.includes(n));
  const undeclared = built.filter((n) => !names.includes(n));
  if (missing.length + undeclared.length === 0) return;
  throw new ConsumerDeclarationError(
    [missing.length > 0 ? `declared consumers not built: ${missing.join(', ')}` : '', undeclared.length > 0 ? `consumers built without a declaration: ${undeclared.join(', ')}` : '']
      .filter(Boolean)
      .join('; '),
  );
}
