import { Inject, Injectable } from '@nestjs/common';
import type { KafkaConfig } from '@tidings/config';
import { consumersOf } from '@tidings/contracts';
import { assertConsumersBuilt } from '@tidings/kafka';
import { KAFKA_CONFIG } from '@tidings/kafka-nest';
import { DeliveryRecordsConsumer } from './deliveries/delivery-records.consumer';
import { EndpointCommandsConsumer } from './endpoints/endpoint-commands.consumer';
import { RelayRequestLogConsumer } from './relay/relay-request-log.consumer';

/**
 * The service's consumers are exactly what `CONSUMERS` declares for it: checked when the module
 * is built, so a declaration without its consumer (or the reverse) stops the boot.
 */
@Injectable()
export class DeclaredConsumersCheck {
  constructor(@Inject(KAFKA_CONFIG) config: KafkaConfig, deliveries: DeliveryRecordsConsumer, commands: EndpointCommandsConsumer, relayRequests: RelayRequestLogConsumer) {
    assertConsumersBuilt(consumersOf('subscriptions', config), [deliveries.declared.name, commands.declared.name, relayRequests.declared.name]);
  }
}
