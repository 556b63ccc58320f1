import type { DatabaseConfig } from '@tidings/config';
import { DataSource } from 'typeorm';
import { DeliveryHolds1763900000000 } from './migrations/1763900000000-delivery-holds';
import { BatchIntents1764400000000 } from './migrations/1764400000000-batch-intents';
import { BatchClaims1764500000000 } from './migrations/1764500000000-batch-claims';

/** The publisher's tables (prefixed `publisher_`) with their own migrations table. */
export function publisherDataSource(config: DatabaseConfig): DataSource {
  return new DataSource({
    type: 'postgres',
    url: config.url,
    entities: [],
    migrations: [DeliveryHolds1763900000000, BatchIntents1764400000000, BatchClaims1764500000000],
    migrationsTableName: 'publisher_schema_migrations',
    migrationsTransactionMode: 'all',
    synchronize: false,
    logging: false,
    extra: { max: 10, application_name: 'tidings-publisher' },
  });
}
