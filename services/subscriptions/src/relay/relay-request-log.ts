import { Inject, Injectable, NotFoundException, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { relayedRequestSchema, type SealedSecret } from '@tidings/contracts';
import { SecretBox } from '@tidings/secret-box';
import type { DataSource } from 'typeorm';
import type { Principal } from '../api-keys/api-keys.service';
import { isUuid } from '../endpoints/endpoint-queries.service';

export const RELAY_REQUEST_LOG_OPTIONS = Symbol('RELAY_REQUEST_LOG_OPTIONS');

export interface RelayRequestLogOptions {
  retentionHours: number;
  sweepIntervalMs: number;
}

/** One logged request; `request` only when one is read, and only for a normal bucket. */
export interface RelayRequestView {
  requestId: string;
  receivedAt: string;
  method: string;
  size: number;
  ephemeral: boolean;
  request?: { method: string; query: string; headers: Record<string, string>; body: string; clientAddress: string } | null;
}

interface Row {
  request_id: string;
  received_at: Date;
  method: string;
  size: number;
  ephemeral: boolean;
  sealed?: SealedSecret | null;
}

const view = (r: Row): RelayRequestView => ({ requestId: r.request_id, receivedAt: r.received_at.toISOString(), method: r.method, size: r.size, ephemeral: r.ephemeral });

/**
 * The relay's request log, read through the API (an input of another tailnet is a 404) and
 * trimmed to its retention: every `sweepIntervalMs`, what is older than `retentionHours` goes.
 */
@Injectable()
export class RelayRequestLog implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SecretBox) private readonly secretBox: SecretBox,
    @Inject(RELAY_REQUEST_LOG_OPTIONS) private readonly options: RelayRequestLogOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep().catch(() => undefined), this.options.sweepIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Deletes what is past the retention; returns how many. */
  async sweep(): Promise<number> {
    const [, deleted] = (await this.dataSource.query(`DELETE FROM relay_requests WHERE received_at < now() - make_interval(hours => $1)`, [this.options.retentionHours])) as [unknown, number];
    return deleted;
  }

  async list(principal: Principal, bucketId: string, inputId: string, limit: number): Promise<RelayRequestView[]> {
    await this.input(principal, bucketId, inputId);
    const rows: Row[] = await this.dataSource.query(
      'SELECT request_id, received_at, method, size, ephemeral FROM relay_requests WHERE input_id = $1 ORDER BY received_at DESC, request_id LIMIT $2',
      [inputId, limit],
    );
    return rows.map(view);
  }

  /** With what it said, opened, for a normal bucket; null for an ephemeral one. */
  async get(principal: Principal, bucketId: string, inputId: string, requestId: string): Promise<RelayRequestView> {
    await this.input(principal, bucketId, inputId);
    const rows: Row[] = isUuid(requestId) ? await this.dataSource.query('SELECT * FROM relay_requests WHERE request_id = $1 AND input_id = $2', [requestId, inputId]) : [];
    const row = rows[0];
    if (!row) throw new NotFoundException(`request ${requestId} of relay input ${inputId} not found`);
    const request = row.sealed ? relayedRequestSchema.parse(JSON.parse(this.secretBox.open(row.sealed, row.request_id))) : null;
    return { ...view(row), request };
  }

  private async input(principal: Principal, bucketId: string, inputId: string): Promise<void> {
    const found: unknown[] =
      isUuid(bucketId) && isUuid(inputId)
        ? await this.dataSource.query('SELECT 1 FROM relay_inputs i JOIN relay_buckets b USING (bucket_id) WHERE i.input_id = $1 AND b.bucket_id = $2 AND b.tailnet = $3', [inputId, bucketId, principal.tailnet])
        : [];
    if (found.length === 0) throw new NotFoundException(`relay input ${inputId} not found`);
  }
}
