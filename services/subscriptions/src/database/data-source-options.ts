import type { DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '@tidings/config';
import { ApiKeyEntity } from '../api-keys/api-key.entity';
import { PortalSessionEntity } from '../api-keys/portal-session.entity';
import { DeadLetterEntity } from '../deliveries/dead-letter.entity';
import { DeliveryAttemptEntity } from '../deliveries/delivery-attempt.entity';
import { EndpointEventEntity } from '../endpoints/endpoint-event.entity';
import { EndpointEntity } from '../endpoints/endpoint.entity';
import { OutboxEntity } from '../outbox/outbox.entity';
import { InitialSchema1763805600000 } from './migrations/1763805600000-initial-schema';
import { DeliveryRecords1764410400000 } from './migrations/1764410400000-delivery-records';
import { EndpointRateLimit1764600000000 } from './migrations/1764600000000-endpoint-rate-limit';
import { PortalSessions1764700000000 } from './migrations/1764700000000-portal-sessions';
import { DeliveryRequests1764800000000 } from './migrations/1764800000000-delivery-requests';
import { RelayBuckets1764900000000 } from './migrations/1764900000000-relay-buckets';
import { RelayRequestLog1765000000000 } from './migrations/1765000000000-relay-request-log';
import { RelayWait1765100000000 } from './migrations/1765100000000-relay-wait';

/** The schema changes only through these migrations; `synchronize` stays off. */
export const MIGRATIONS = [InitialSchema1763805600000, DeliveryRecords1764410400000, EndpointRateLimit1764600000000, PortalSessions1764700000000, DeliveryRequests1764800000000, RelayBuckets1764900000000, RelayRequestLog1765000000000, RelayWait1765100000000];
export const ENTITIES = [ApiKeyEntity, PortalSessionEntity, EndpointEventEntity, EndpointEntity, OutboxEntity, DeliveryAttemptEntity, DeadLetterEntity];

export function dataSourceOptions(config: DatabaseConfig): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'all',
    synchronize: false,
    logging: false,
    extra: { max: 20, application_name: 'tidings-subscriptions' },
  };
}
