import { randomUUID } from 'node:crypto';
import { providerInForce, WEBHOOK_EVENT_VERSION, type SealedSecret, type WebhookNoticeRecord } from '@tidings/contracts';
import { secretsInForce } from '@tidings/endpoint-directory';
import type { EntityManager } from 'typeorm';
import { writeToOutbox } from '../outbox/outbox-writer';
import { EndpointEntity } from './endpoint.entity';

export const TEST_EVENT_MESSAGE = 'This is a test event';

export type NoticeType = 'webhookUpdated' | 'webhookDeleted' | 'webhookDisabled' | 'webhookSecretRotated';

export const NOTICE_SENTENCES: Record<NoticeType, (id: string, actor: string) => string> = {
  webhookUpdated: (id, actor) => `Webhook ${id} subscriptions were changed by ${actor}`,
  webhookDeleted: (id, actor) => `Webhook ${id} was deleted by ${actor}`,
  webhookDisabled: (id, actor) => `Webhook ${id} was disabled by ${actor}`,
  webhookSecretRotated: (id, actor) => `Webhook ${id} secret was rotated by ${actor}`,
};

export interface NoticeInput {
  type: NoticeType;
  /** The endpoint the change is about, as it was before the change. */
  subject: EndpointEntity;
  /** Secrets that sign the subject's own notice (the old one first for a rotation). */
  subjectSecrets: SealedSecret[];
  actor: string;
  occurredAt: string;
  data?: Record<string, string>;
}

/**
 * "Always tell when you stop telling": in the transaction of the change, queues the notice for
 * the endpoint itself, unconditionally, and for every other enabled endpoint of the tailnet
 * subscribed to the notice's type or its category. Each record is self-contained.
 */
export async function queueNotices(manager: EntityManager, input: NoticeInput): Promise<number> {
  const { subject } = input;
  const others = await manager
    .createQueryBuilder(EndpointEntity, 'e')
    .where('e.tailnet = :tailnet', { tailnet: subject.tailnet })
    .andWhere('e.endpoint_id <> :id', { id: subject.endpointId })
    .andWhere(`e.status <> 'disabled'`)
    .andWhere(`(e.subscriptions ? :type OR e.subscriptions ? 'categoryWebhookManagement')`, { type: input.type })
    .getMany();

  const event = {
    id: randomUUID(),
    timestamp: input.occurredAt,
    version: WEBHOOK_EVENT_VERSION,
    type: input.type,
    tailnet: subject.tailnet,
    message: NOTICE_SENTENCES[input.type](subject.endpointId, input.actor),
    data: { endpointId: subject.endpointId, actor: input.actor, ...input.data },
  } as const;

  const recipients = [
    { endpoint: subject, secrets: input.subjectSecrets },
    ...others.map((endpoint) => ({ endpoint, secrets: secretsInForce(endpoint) })),
  ];
  for (const { endpoint, secrets } of recipients) {
    const record: WebhookNoticeRecord = {
      schemaVersion: 1,
      noticeId: randomUUID(),
      target: { endpointId: endpoint.endpointId, tailnet: endpoint.tailnet, endpointUrl: endpoint.endpointUrl, providerType: providerInForce(endpoint.providerType, endpoint.endpointUrl), secrets },
      event: { ...event },
    };
    await writeToOutbox(manager, 'webhookNotices', endpoint.endpointId, record);
  }
  return recipients.length;
}

/** A test event for one endpoint, through the same urgent path as the notices. */
export async function queueTestEvent(manager: EntityManager, endpoint: EndpointEntity, actor: string): Promise<string> {
  const id = randomUUID();
  const record: WebhookNoticeRecord = {
    schemaVersion: 1,
    noticeId: randomUUID(),
    target: { endpointId: endpoint.endpointId, tailnet: endpoint.tailnet, endpointUrl: endpoint.endpointUrl, providerType: providerInForce(endpoint.providerType, endpoint.endpointUrl), secrets: secretsInForce(endpoint) },
    event: { id, timestamp: new Date().toISOString(), version: WEBHOOK_EVENT_VERSION, type: 'test', tailnet: endpoint.tailnet, message: TEST_EVENT_MESSAGE, data: { endpointId: endpoint.endpointId, actor } },
  };
  await writeToOutbox(manager, 'webhookNotices', endpoint.endpointId, record);
  return id;
}
