import { Inject, Injectable, NotFoundException, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { KafkaConfig } from '@tidings/config';
import { endpointCommandRecordSchema, resolveConsumer, type EndpointCommandRecord, type ResolvedConsumer } from '@tidings/contracts';
import { decodeJsonRecord, ManagedConsumer, type ConsumedRecord } from '@tidings/kafka';
import { KAFKA_CLIENT, KAFKA_CONFIG, SERVICE_LOGGER } from '@tidings/kafka-nest';
import type { Logger } from '@tidings/telemetry';
import type { Kafka } from 'kafkajs';
import type { Principal } from '../api-keys/api-keys.service';
import { UnreadableRecords } from '../dead-letters/unreadable-records';
import { EndpointCommandsService } from './endpoint-commands.service';
import { RelayOutputsService } from '../relay/relay-outputs.service';

/** The actor recorded on changes Tidings makes itself (config events, notices). */
export const SYSTEM_LOGIN = 'tidings';

/**
 * Carries out the pipeline's commands (disable an endpoint after its retries ran out, or when
 * it answered 410) through the same use case as the API, so the change is an event with its
 * actor and the webhookDisabled notices go out. The command's tailnet scopes it like an API
 * key: it cannot reach another tailnet's endpoint.
 */
@Injectable()
export class EndpointCommandsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly declared: ResolvedConsumer;
  private readonly consumer: ManagedConsumer;

  constructor(
    @Inject(KAFKA_CLIENT) kafka: Kafka,
    @Inject(KAFKA_CONFIG) config: KafkaConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly commands: EndpointCommandsService,
    private readonly relayOutputs: RelayOutputsService,
    @Inject(UnreadableRecords) private readonly unreadable: UnreadableRecords,
  ) {
    this.declared = resolveConsumer('subscriptionsCommands', config);
    this.consumer = new ManagedConsumer(kafka, { declared: this.declared, logger, handlers: { [config.topics.endpointCommands]: (record) => this.handle(record) } });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }

  private async handle(record: ConsumedRecord): Promise<void> {
    const where = { partition: record.partition, offset: record.offset, key: record.key };
    const decoded = decodeJsonRecord(record, endpointCommandRecordSchema);
    if (!decoded.ok) {
      // Never retried: it would be as unreadable the next time. Kept on the internal dead letters.
      this.logger.error({ ...where, reason: decoded.reason }, 'skipping unreadable endpoint command');
      return this.unreadable.deadLetter(record, decoded.reason);
    }
    const command = decoded.value;
    const actor: Principal = { keyId: SYSTEM_LOGIN, tailnet: command.tailnet, loginName: SYSTEM_LOGIN, via: 'system' };
    try {
      // Already disabled: the use case changes nothing and sends no second notice.
      const endpoint = await this.commands.disable(actor, command.endpointId, command.reason);
      this.logger.info({ ...where, endpointId: command.endpointId, commandId: command.commandId, status: endpoint.status, disabledReason: endpoint.disabledReason }, 'applied disableEndpoint command');
    } catch (error) {
      // Deleted meanwhile, or not of that tailnet: nothing to disable. A conflict or a lost
      // database connection is thrown, and the record retried.
      if (!(error instanceof NotFoundException)) throw error;
      await this.disableRelayOutput(actor, command, where);
    }
  }

  /** Not a webhook: the lane may be an inbound relay output's, which the pipeline stops the same way. */
  private async disableRelayOutput(actor: Principal, command: EndpointCommandRecord, where: Record<string, unknown>): Promise<void> {
    try {
      await this.relayOutputs.setEnabled(actor, { outputId: command.endpointId }, false, command.reason);
      this.logger.info({ ...where, outputId: command.endpointId, commandId: command.commandId }, 'applied disableEndpoint command to a relay output');
    } catch (error) {
      if (!(error instanceof NotFoundException)) throw error;
      this.logger.warn({ ...where, endpointId: command.endpointId, commandId: command.commandId }, 'skipping disableEndpoint command: no such endpoint in its tailnet');
    }
  }
}
