import type { Message, Producer, ProducerRecord, RecordMetadata } from 'kafkajs';

interface Pending {
  topic: string;
  messages: Message[];
  resolve: (metadata: RecordMetadata[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Sends from many concurrent callers as few produce requests: whatever is asked while a request
 * is in flight goes out together in the next one (one `sendBatch` over all their topics). An
 * idempotent producer allows one request in flight, so without this every caller waited for
 * everyone before it, one broker round trip each. Each caller's messages keep their order, and
 * its promise settles with its own request's outcome.
 */
export class CoalescingProducer {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(private readonly producer: Pick<Producer, 'sendBatch'>) {}

  send({ topic, messages }: ProducerRecord): Promise<RecordMetadata[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ topic, messages, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    // Callers in the same tick join the first request too.
    await new Promise<void>((r) => setImmediate(r));
    while (this.queue.length > 0) {
      const batch = this.takeRequest();
      const byTopic = new Map<string, Message[]>();
      for (const p of batch) {
        const messages = byTopic.get(p.topic);
        if (messages) messages.push(...p.messages);
        else byTopic.set(p.topic, [...p.messages]);
      }
      try {
        const metadata = await this.producer.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
        for (const p of batch) p.resolve(metadata.filter((m) => m.topicName === p.topic));
      } catch (error) {
        for (const p of batch) p.reject(error);
      }
    }
    this.flushing = false;
  }

  /** Callers from the head of the queue, up to the request size cap (a bigger caller goes alone). */
  private takeRequest(): Pending[] {
    let bytes = 0;
    let n = 0;
    for (const p of this.queue) {
      const size = p.messages.reduce((sum, m) => sum + messageBytes(m), 0);
      if (n > 0 && bytes + size > MAX_REQUEST_BYTES) break;
      bytes += size;
      n += 1;
    }
    return this.queue.splice(0, n);
  }
}

/** Under the broker's default 1 MiB limit, with room for framing. */
const MAX_REQUEST_BYTES = 512 * 1024;

const messageBytes = (m: Message): number =>
  (m.key?.length ?? 0) + (m.value?.length ?? 0) + Object.entries(m.headers ?? {}).reduce((n, [k, v]) => n + k.length + String(v ?? '').length, 0) + 64;
