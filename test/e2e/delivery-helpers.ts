import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { TidingsStack, verifyWebhook, type ReceivedWebhook } from '@tidings/testing';

/** What the end-to-end delivery tests share: producing domain events, endpoints, reading webhooks. */

export interface Endpoint {
  endpointId: string;
  secret: string;
  standardWebhooksSecret: string;
  path: string;
}

export type DeliveredEvent = { id: string; type: string; data: Record<string, string> };

export function kafkaFor(stack: TidingsStack): Kafka {
  return new Kafka({ clientId: 'e2e', brokers: stack.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
}

export async function connectedProducer(stack: TidingsStack): Promise<Producer> {
  const producer = kafkaFor(stack).producer();
  await producer.connect();
  return producer;
}

/** What most delivery specs start from: a running stack and a connected producer (nothing left running if either fails). */
export async function startStackAndProducer(label: string, env: Record<string, string> = {}): Promise<{ stack: TidingsStack; producer: Producer }> {
  const stack = await TidingsStack.create(label, env);
  try {
    await stack.start();
    return { stack, producer: await connectedProducer(stack) };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

/** Stops what `startStackAndProducer` started; either may be missing after a failed start. */
export async function stopStackAndProducer(stack: TidingsStack | undefined, producer: Producer | undefined): Promise<void> {
  await producer?.disconnect();
  await stack?.stop();
}

/** Produces nodeCreated events for a tailnet, one per device name, in order; returns their ids. */
export async function emitNodeEvents(stack: TidingsStack, producer: Producer, tailnet: string, devices: string[]): Promise<string[]> {
  const ids = devices.map(() => randomUUID());
  const messages = devices.map((device, i) => ({
    key: tailnet,
    value: JSON.stringify({
      specversion: '1.0',
      id: ids[i],
      source: '//control.e2e',
      type: 'nodeCreated',
      time: new Date().toISOString(),
      tailnet,
      data: { nodeID: `n-${device}`, deviceName: device, managedBy: 'ops@e2e', actor: 'ops@e2e' },
    }),
  }));
  for (let i = 0; i < messages.length; i += 500) await producer.send({ topic: stack.env.DOMAIN_EVENTS_TOPIC!, messages: messages.slice(i, i + 500) });
  return ids;
}

export async function createEndpoint(stack: TidingsStack, key: string, tailnet: string, path: string, subscriptions = ['categoryTailnetManagement']): Promise<Endpoint> {
  const res = await stack.api('POST', `/api/v2/tailnet/${tailnet}/webhooks`, key, { endpointUrl: `${stack.receiverUrl.replace(/\/webhook$/, '')}${path}`, subscriptions });
  if (res.status !== 200) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...(res.body as Omit<Endpoint, 'path'>), path };
}

/** The webhook-events partition an endpoint's payloads go to (kafkajs' default partitioner, as the trigger's). */
export function payloadPartition(endpointId: string, partitions = 6): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
  return partitioner({ topic: 'payloads', partitionMetadata, message: { key: endpointId, value: null } });
}

export function requestsTo(stack: TidingsStack, path: string): ReceivedWebhook[] {
  return stack.receiver.received.filter((w) => w.path === path);
}

export function eventsOf(webhook: ReceivedWebhook): DeliveredEvent[] {
  return JSON.parse(webhook.body) as DeliveredEvent[];
}

/** Payload deliveries (not notices) a path answered with 2xx, verified, flattened in arrival order. */
export function deliveredEvents(stack: TidingsStack, endpoint: Endpoint): DeliveredEvent[] {
  return requestsTo(stack, endpoint.path)
    .filter((w) => w.status >= 200 && w.status < 300)
    .flatMap((w) => {
      const verified = verifyWebhook(w, endpoint.secret, endpoint.standardWebhooksSecret);
      if (!verified.tailscaleSignatureValid || !verified.standardSignatureValid) throw new Error(`bad signature on ${String(w.headers['webhook-id'])}`);
      return eventsOf(w).filter((e) => e.type === 'nodeCreated');
    });
}

export const isPayload = (w: ReceivedWebhook): boolean => eventsOf(w).some((e) => e.type === 'nodeCreated');

/**
 * Same webhook-id, same body, and each event under one webhook-id only: a duplicate may only
 * be a redelivery of a batch as it was, which a receiver can drop by its id.
 */
export function assertRedeliveriesOnly(stack: TidingsStack, endpoint: Endpoint): void {
  const bodyById = new Map<string, string>();
  const idOfEvent = new Map<string, string>();
  for (const w of requestsTo(stack, endpoint.path).filter(isPayload)) {
    const id = String(w.headers['webhook-id']);
    const seen = bodyById.get(id);
    if (seen !== undefined) assert.equal(w.body, seen, `batch ${id} was re-sent with another body`);
    bodyById.set(id, w.body);
    for (const event of JSON.parse(w.body) as { id: string }[]) {
      const other = idOfEvent.get(event.id) ?? id;
      assert.equal(other, id, `event ${event.id} was sent under two webhook-ids`);
      idOfEvent.set(event.id, id);
    }
  }
}
