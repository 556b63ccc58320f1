import { randomUUID } from 'node:crypto';
import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { EndpointConfigEvent } from '@tidings/contracts';
import { SecretBox } from '@tidings/secret-box';
import { generateWebhookSecret } from '@tidings/webhook-signing';
import type { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '../api-keys/api-keys.service';
import { ValidationProblem } from '../http/problem-details.filter';
import { OutboxRelayService } from '../outbox/outbox-relay.service';
import { appendEndpointEvent } from './endpoint-event-store';
import { isUuid } from './endpoint-queries.service';
import { EndpointUrlPolicy } from './endpoint-url.policy';
import { EndpointEntity } from './endpoint.entity';
import type { CreateWebhookRequest } from './webhook.dto';

/** Fields every config event shares; the command fills in the rest. */
type Envelope = Pick<EndpointConfigEvent, 'schemaVersion' | 'eventId' | 'endpointId' | 'tailnet' | 'version' | 'occurredAt' | 'actor'>;

/**
 * The write side: each use case validates, appends one config event (event store, projection
 * and outbox in one transaction), then has the relay publish it before answering.
 */
@Injectable()
export class EndpointCommandsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SecretBox) private readonly secretBox: SecretBox,
    @Inject(EndpointUrlPolicy) private readonly urlPolicy: EndpointUrlPolicy,
    private readonly relay: OutboxRelayService,
  ) {}

  async create(principal: Principal, request: CreateWebhookRequest): Promise<{ endpoint: EndpointEntity; secret: string }> {
    const problem = this.urlPolicy.check(request.endpointUrl);
    if (problem) throw new ValidationProblem([{ field: 'endpointUrl', problem }]);
    const endpointId = randomUUID();
    const secret = generateWebhookSecret();
    const endpoint = await this.dataSource.transaction(async (manager) => {
      await appendEndpointEvent(manager, {
        ...this.envelope(principal, endpointId, 1),
        type: 'endpointCreated',
        endpointUrl: request.endpointUrl,
        providerType: request.providerType,
        subscriptions: [...new Set(request.subscriptions)],
        secret: this.secretBox.seal(secret, endpointId),
      });
      return manager.findOneByOrFail(EndpointEntity, { endpointId });
    });
    await this.relay.publishNow();
    return { endpoint, secret };
  }

  async delete(principal: Principal, endpointId: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const current = await this.load(manager, principal, endpointId);
      await appendEndpointEvent(manager, { ...this.envelope(principal, endpointId, current.version + 1), type: 'endpointDeleted' });
    });
    await this.relay.publishNow();
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
