import { randomUUID } from 'node:crypto';
import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '../api-keys/api-keys.service';
import type { DeliveryScope } from '../deliveries/delivery-scope';
import { isUuid } from '../endpoints/endpoint-queries.service';
import { OutboxRelayService } from '../outbox/outbox-relay.service';
import { appendRelayEvent } from './relay-event-store';

interface OutputRow {
  bucket_id: string;
  input_id: string;
  tailnet: string;
  version: number;
  output: { outputId: string; url: string; enabled?: boolean; disabledReason?: string | null };
}

/** An output with its input and bucket; `FOR UPDATE` locks the bucket row, whose version the change takes. */
const OUTPUT = (where: string, lock: boolean) => `
  SELECT b.bucket_id, i.input_id, b.tailnet, b.version, o AS output
  FROM relay_inputs i JOIN relay_buckets b USING (bucket_id), jsonb_array_elements(i.outputs) o
  WHERE ${where}${lock ? ' FOR UPDATE OF b' : ''}`;

/**
 * An inbound relay output as deliveries see it: scoped like its bucket (another tailnet's is a
 * 404), disabled by the pipeline when its retries run out, enabled again by hand. Each change
 * is a relay config event, so the publisher's hold on it lets go.
 */
@Injectable()
export class RelayOutputsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxRelayService,
  ) {}

  /** The output's deliveries scope. */
  async scope(principal: Principal, bucketId: string, inputId: string, outputId: string): Promise<DeliveryScope> {
    return toScope(await this.find(this.dataSource.manager, principal.tailnet, { bucketId, inputId, outputId }, false));
  }

  /** Enables or disables it; the same state again changes nothing. Returns its scope after. */
  async setEnabled(principal: Principal, ids: { bucketId?: string; inputId?: string; outputId: string }, enabled: boolean, reason = ''): Promise<DeliveryScope> {
    const row = await this.dataSource.transaction(async (manager) => {
      const found = await this.find(manager, principal.tailnet, ids, true);
      if ((found.output.enabled !== false) === enabled) return found;
      const base = { schemaVersion: 1 as const, eventId: randomUUID(), bucketId: found.bucket_id, tailnet: found.tailnet, version: found.version + 1, occurredAt: new Date().toISOString(), actor: principal.loginName };
      await appendRelayEvent(
        manager,
        enabled ? { ...base, type: 'outputEnabled', inputId: found.input_id, outputId: found.output.outputId } : { ...base, type: 'outputDisabled', inputId: found.input_id, outputId: found.output.outputId, reason },
      );
      return { ...found, output: { ...found.output, enabled, disabledReason: enabled ? null : reason } };
    });
    await this.outbox.publishNow();
    return toScope(row);
  }

  private async find(manager: EntityManager, tailnet: string, ids: { bucketId?: string; inputId?: string; outputId: string }, lock: boolean): Promise<OutputRow> {
    const known = [ids.bucketId, ids.inputId].every((id) => id === undefined || isUuid(id)) && isUuid(ids.outputId);
    const rows: OutputRow[] = known
      ? await manager.query(OUTPUT(`o->>'outputId' = $1 AND ($2::uuid IS NULL OR i.input_id = $2) AND ($3::uuid IS NULL OR b.bucket_id = $3)`, lock), [ids.outputId, ids.inputId ?? null, ids.bucketId ?? null])
      : [];
    const row = rows[0];
    if (!row || row.tailnet !== tailnet) throw new NotFoundException(`relay output ${ids.outputId} not found`);
    return row;
  }
}

function toScope(row: OutputRow): DeliveryScope {
  return { endpointId: row.output.outputId, tailnet: row.tailnet, label: `relay output ${row.output.outputId}`, disabled: row.output.enabled === false };
}
