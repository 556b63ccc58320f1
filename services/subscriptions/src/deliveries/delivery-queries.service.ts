import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DeadLetterCause } from '@tidings/contracts';
import { In, type DataSource } from 'typeorm';
import type { Principal } from '../api-keys/api-keys.service';
import { EndpointQueriesService } from '../endpoints/endpoint-queries.service';
import { endpointStatus, type EndpointEntity } from '../endpoints/endpoint.entity';
import type { DeliveryScope } from './delivery-scope';
import { DeliveryAttemptEntity } from './delivery-attempt.entity';
import type { DeliveryRequestView, DeliveryView } from '@tidings/contracts';
import { toDeliveryView, type DeadLetterSummary } from './delivery-view';

/**
 * An endpoint's most recent batches, by their latest activity (an attempt or the
 * dead-lettering), newest first. A batch dead-lettered without any attempt counts too.
 */
const RECENT_BATCHES = `
  SELECT batch_id FROM (
    SELECT batch_id, attempted_at AS at FROM delivery_attempts WHERE endpoint_id = $1 AND tailnet = $2
    UNION ALL
    SELECT batch_id, dead_lettered_at FROM dead_letters WHERE endpoint_id = $1 AND tailnet = $2
  ) activity
  GROUP BY batch_id
  ORDER BY max(at) DESC, batch_id DESC
  LIMIT $3`;

const DEAD_LETTERS = `
  SELECT batch_id, cause, reason, dead_lettered_at, replayed_at, jsonb_path_query_array(events::jsonb, '$[*].id') AS event_ids
  FROM dead_letters WHERE endpoint_id = $1 AND tailnet = $2 AND batch_id = ANY($3)`;

/** What the batch sent; a batch dead-lettered before any attempt has its events only. */
const BATCH_REQUEST = `
  SELECT headers, events FROM delivery_requests WHERE batch_id = $1 AND endpoint_id = $2 AND tailnet = $3
  UNION ALL
  SELECT '{}'::jsonb, events FROM dead_letters d WHERE batch_id = $1 AND endpoint_id = $2 AND tailnet = $3
    AND NOT EXISTS (SELECT 1 FROM delivery_requests r WHERE r.batch_id = d.batch_id)`;

interface DeadLetterRow {
  batch_id: string;
  cause: DeadLetterCause;
  reason: string;
  dead_lettered_at: Date;
  replayed_at: Date | null;
  event_ids: string[];
}

/** The deliveries read side, scoped like the webhooks: another tailnet's endpoint is a 404. */
@Injectable()
export class DeliveryQueriesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly endpoints: EndpointQueriesService,
  ) {}

  async list(principal: Principal, endpointId: string, limit: number): Promise<DeliveryView[]> {
    return this.listIn(webhookScope(await this.endpoints.get(principal, endpointId)), limit);
  }

  async get(principal: Principal, endpointId: string, batchId: string): Promise<DeliveryView> {
    return this.getIn(webhookScope(await this.endpoints.get(principal, endpointId)), batchId);
  }

  async listIn(endpoint: DeliveryScope, limit: number): Promise<DeliveryView[]> {
    const rows: { batch_id: string }[] = await this.dataSource.query(RECENT_BATCHES, [endpoint.endpointId, endpoint.tailnet, limit]);
    return this.views(endpoint, rows.map((r) => r.batch_id));
  }

  async getIn(endpoint: DeliveryScope, batchId: string): Promise<DeliveryView> {
    const [view] = await this.views(endpoint, [batchId]);
    if (!view) throw new NotFoundException(`delivery ${batchId} of ${endpoint.label} not found`);
    const [request]: DeliveryRequestView[] = await this.dataSource.query(BATCH_REQUEST, [batchId, endpoint.endpointId, endpoint.tailnet]);
    return { ...view, request: request ?? null };
  }

  /** Two queries whatever the number of batches; views in the order of `batchIds`. */
  private async views(endpoint: DeliveryScope, batchIds: string[]): Promise<DeliveryView[]> {
    if (batchIds.length === 0) return [];
    const scope = { endpointId: endpoint.endpointId, tailnet: endpoint.tailnet };
    const attempts = await this.dataSource.getRepository(DeliveryAttemptEntity).find({
      where: { ...scope, batchId: In(batchIds) },
      order: { attemptedAt: 'ASC', attempt: 'ASC' },
    });
    const deadLetters: DeadLetterRow[] = await this.dataSource.query(DEAD_LETTERS, [scope.endpointId, scope.tailnet, batchIds]);

    const attemptsOf = new Map<string, DeliveryAttemptEntity[]>();
    for (const a of attempts) {
      const list = attemptsOf.get(a.batchId);
      if (list) list.push(a);
      else attemptsOf.set(a.batchId, [a]);
    }
    const deadLetterOf = new Map(deadLetters.map((d) => [d.batch_id, d]));
    return batchIds.flatMap((batchId) => {
      const d = deadLetterOf.get(batchId);
      const batchAttempts = attemptsOf.get(batchId) ?? [];
      if (!d && batchAttempts.length === 0) return [];
      const summary: DeadLetterSummary | null = d ? { cause: d.cause, reason: d.reason, deadLetteredAt: d.dead_lettered_at, replayedAt: d.replayed_at, eventIds: d.event_ids } : null;
      return [toDeliveryView(batchId, batchAttempts, summary)];
    });
  }
}

/** A webhook's deliveries, as the deliveries API scopes them. */
export function webhookScope(e: EndpointEntity): DeliveryScope {
  return { endpointId: e.endpointId, tailnet: e.tailnet, label: `webhook ${e.endpointId}`, disabled: endpointStatus(e) === 'disabled' };
}
