import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { cachedCheck, READY, ReadinessRegistry } from '@tidings/service-runtime';
import type { DataSource } from 'typeorm';

/** Probes from every kubelet and load balancer share one round trip per second. */
const PING_CACHE_MS = 1_000;
/** The API answers nothing useful without its database; a slower answer is as good as none. */
const PING_TIMEOUT_MS = 1_000;

/** `postgres`: the API can reach its database (`SELECT 1`). */
@Injectable()
export class DatabaseReadiness {
  constructor(@InjectDataSource() dataSource: DataSource, @Inject(ReadinessRegistry) registry: ReadinessRegistry) {
    const ping = cachedCheck(async () => {
      await dataSource.query('SELECT 1');
      return READY;
    }, PING_CACHE_MS);
    registry.register('postgres', ping, { timeoutMs: PING_TIMEOUT_MS });
  }
}
