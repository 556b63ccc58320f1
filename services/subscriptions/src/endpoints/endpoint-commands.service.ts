import { randomUUID } from 'node:crypto';
import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { EndpointConfigEvent } from '@tidings/contracts';
import { secretsInForce } from '@tidings/endpoint-directory';
import { SecretBox } from '@tidings/secret-box';
import { generateWebhookSecret } from '@tidings/webhook-signing';
import type { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '../api-keys/api-keys.service';
import { OutboxRelayService } from '../outbox/outbox-relay.service';
import { appendEndpointEvent } from './endpoint-event-store';
import { isUuid } from './endpoint-queries.service';
import { EndpointEntity } from './endpoint.entity';
import { queueNotices, queueTestEvent } from './webhook-notices';
import type { CreateWebhookRequest, PatchWebhookRequest } from './webhook.dto';

/** Fields every config event shares; the command fills in the rest. */
type Envelope = Pick<EndpointConfigEvent, 'schemaVersion' | 'eventId' | 'endpointId' | 'tailnet' | 'version' | 'occurredAt' | 'actor'>;

/**
 * The write side. Each use case runs in one transaction: load the endpoint (scoped to the
 * caller's tailnet), append the config event (event store, projection and outbox), queue the
 * notices it owes, commit; then it has the relay publish before answering.
 */
@Injectable()
export class EndpointCommandsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SecretBox) private readonly secretBox: SecretBox,
    private readonly relay: OutboxRelayService,
  ) {}

  /** `request` is validated, its URL included (the controller checks it with EndpointUrlPolicy). */
  async create(principal: Principal, request: CreateWebhookRequest): Promise<{ endpoint: EndpointEntity; secret: string }> {
    const endpointId = randomUUID();
    const secret = generateWebhookSecret();
    const endpoint = await this.write(async (manager) => {
      await appendEndpointEvent(manager, {
        ...this.envelope(principal, endpointId, 1),
        type: 'endpointCreated',
        endpointUrl: request.endpointUrl,
        providerType: request.providerType,
        subscriptions: [...new Set(request.subscriptions)],
        secret: this.secretBox.seal(secret, endpointId),
        rateLimit: request.rateLimit,
      });
      return manager.findOneByOrFail(EndpointEntity, { endpointId });
    });
    return { endpoint, secret };
  }

  /** New subscriptions (a webhookUpdated notice goes out), a new rate limit, or both. */
  update(principal: Principal, endpointId: string, change: PatchWebhookRequest): Promise<EndpointEntity> {
    return this.write(async (manager) => {
      const current = await this.load(manager, principal, endpointId);
      let version = current.version;
      if (change.rateLimit !== undefined) {
        await appendEndpointEvent(manager, { ...this.envelope(principal, endpointId, ++version), type: 'endpointRateLimitChanged', rateLimit: change.rateLimit });
      }
      if (change.subscriptions) {
        const envelope = this.envelope(principal, endpointId, ++version);
        const next = [...new Set(change.subscriptions)];
        await appendEndpointEvent(manager, { ...envelope, type: 'endpointSubscriptionsChanged', subscriptions: next });
        await queueNotices(manager, {
          type: 'webhookUpdated',
          subject: current,
          subjectSecrets: secretsInForce(current),
          actor: principal.loginName,
          occurredAt: envelope.occurredAt,
          data: { oldSubscriptions: current.subscriptions.join(', '), newSubscriptions: next.join(', ') },
        });
      }
      return manager.findOneByOrFail(EndpointEntity, { endpointId });
    });
  }

  /** A new secret; the old one keeps signing for `gracePeriodSeconds` (0: stops at once). */
  async rotateSecret(principal: Principal, endpointId: string, gracePeriodSeconds: number): Promise<{ endpoint: EndpointEntity; secret: string }> {
    const secret = generateWebhookSecret();
    const endpoint = await this.write(async (manager) => {
      const current = await this.load(manager, principal, endpointId);
      const envelope = this.envelope(principal, endpointId, current.version + 1);
      const sealed = this.secretBox.seal(secret, endpointId);
      const validUntil = gracePeriodSeconds > 0 ? new Date(Date.parse(envelope.occurredAt) + gracePeriodSeconds * 1000).toISOString() : null;
      await appendEndpointEvent(manager, { ...envelope, type: 'endpointSecretRotated', secret: sealed, previousSecretValidUntil: validUntil });
      // The receiver still holds the old secret: it signs the notice, with the new one in a grace period.
      await queueNotices(manager, {
        type: 'webhookSecretRotated',
        subject: current,
        subjectSecrets: validUntil ? [current.secret, sealed] : [current.secret],
        actor: principal.loginName,
        occurredAt: envelope.occurredAt,
        data: validUntil ? { previousSecretValidUntil: validUntil } : {},
      });
      return manager.findOneByOrFail(EndpointEntity, { endpointId });
    });
    return { endpoint, secret };
  }

  disable(principal: Principal, endpointId: string, reason: string): Promise<EndpointEntity> {
    return this.write(async (manager) => {
      const current = await this.load(manager, principal, endpointId);
      if (current.status === 'disabled') return current;
      const envelope = this.envelope(principal, endpointId, current.version + 1);
      await appendEndpointEvent(manager, { ...envelope, type: 'endpointDisabled', reason });
      await queueNotices(manager, { type: 'webhookDisabled', subject: current, subjectSecrets: secretsInForce(current), actor: principal.loginName, occurredAt: envelope.occurredAt, data: { reason } });
      return manager.findOneByOrFail(EndpointEntity, { endpointId });
    });
  }

  enable(principal: Principal, endpointId: string): Promise<EndpointEntity> {
    return this.write(async (manager) => {
      const current = await this.load(manager, principal, endpointId);
      if (current.status !== 'disabled') return current;
      await appendEndpointEvent(manager, { ...this.envelope(principal, endpointId, current.version + 1), type: 'endpointEnabled' });
      return manager.findOneByOrFail(EndpointEntity, { endpointId });
    });
  }

  async delete(principal: Principal, endpointId: string): Promise<void> {
    await this.write(async (manager) => {
      const current = await this.load(manager, principal, endpointId);
      const envelope = this.envelope(principal, endpointId, current.version + 1);
      // Queued before the projection row goes: the notice needs the endpoint's URL and secret.
      await queueNotices(manager, { type: 'webhookDeleted', subject: current, subjectSecrets: secretsInForce(current), actor: principal.loginName, occurredAt: envelope.occurredAt });
      await appendEndpointEvent(manager, { ...envelope, type: 'endpointDeleted' });
    });
  }

  /** Queues a test event for immediate delivery; returns its event id. */
  sendTest(principal: Principal, endpointId: string): Promise<string> {
    return this.write(async (manager) => queueTestEvent(manager, await this.load(manager, principal, endpointId), principal.loginName));
  }

  private async write<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const result = await this.dataSource.transaction(work);
    await this.relay.publishNow();
    return result;
  }

  /** Another tailnet's endpoint is indistinguishable from a missing one: 404 either way. */
  private async load(manager: EntityManager, principal: Principal, endpointId: string): Promise<EndpointEntity> {
    const found = isUuid(endpointId) ? await manager.findOneBy(EndpointEntity, { endpointId }) : null;
    if (!found || found.tailnet !== principal.tailnet) throw new NotFoundException(`webhook ${endpointId} not found`);
    return found;
  }

  private envelope(principal: Principal, endpointId: string, version: number): Envelope {
    return {
      schemaVersion: 1,
      eventId: randomUUID(),
      endpointId,
      tailnet: principal.tailnet,
      version,
      occurredAt: new Date().toISOString(),
      actor: principal.loginName,
    };
  }
}
