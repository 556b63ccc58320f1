import { randomUUID } from 'node:crypto';
import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { BucketAuth, RelayBucketView, RelayConfigEvent, RelayInputView } from '@tidings/contracts';
import { slowHash } from '@tidings/relay-auth';
import { SecretBox } from '@tidings/secret-box';
import type { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '../api-keys/api-keys.service';
import { isUuid } from '../endpoints/endpoint-queries.service';
import { OutboxRelayService } from '../outbox/outbox-relay.service';
import { toBucketView, toInputView, type BucketRow, type CreateBucketRequest, type CreateInputRequest, type InputRow } from './relay-bucket.dto';
import { appendRelayEvent } from './relay-event-store';

type Envelope = Pick<RelayConfigEvent, 'schemaVersion' | 'eventId' | 'bucketId' | 'tailnet' | 'version' | 'occurredAt' | 'actor'>;

/**
 * Buckets and inputs of the inbound relay, event-sourced like the webhooks: each change is a
 * config event with its actor, appended with its projection and outbox record in one
 * transaction, and published before the answer. Another tailnet's bucket is a 404.
 */
@Injectable()
export class RelayBucketsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SecretBox) private readonly secretBox: SecretBox,
    private readonly outbox: OutboxRelayService,
  ) {}

  async create(principal: Principal, request: CreateBucketRequest): Promise<RelayBucketView> {
    const bucketId = randomUUID();
    const auth = await this.storedAuth(bucketId, request.auth);
    await this.write((manager) =>
      appendRelayEvent(manager, { ...envelope(principal, bucketId, 1), type: 'bucketCreated', name: request.name, auth, answer: request.answer, ephemeral: request.ephemeral }),
    );
    return this.get(principal, bucketId);
  }

  async list(principal: Principal): Promise<RelayBucketView[]> {
    const buckets: BucketRow[] = await this.dataSource.query('SELECT * FROM relay_buckets WHERE tailnet = $1 ORDER BY created, bucket_id', [principal.tailnet]);
    if (buckets.length === 0) return [];
    const inputs: InputRow[] = await this.dataSource.query('SELECT * FROM relay_inputs WHERE bucket_id = ANY($1) ORDER BY created, input_id', [buckets.map((b) => b.bucket_id)]);
    return buckets.map((b) => toBucketView(b, inputs.filter((i) => i.bucket_id === b.bucket_id)));
  }

  async get(principal: Principal, bucketId: string): Promise<RelayBucketView> {
    const bucket = await this.load(this.dataSource.manager, principal, bucketId);
    const inputs: InputRow[] = await this.dataSource.query('SELECT * FROM relay_inputs WHERE bucket_id = $1 ORDER BY created, input_id', [bucketId]);
    return toBucketView(bucket, inputs);
  }

  async delete(principal: Principal, bucketId: string): Promise<void> {
    await this.write(async (manager) => {
      const bucket = await this.load(manager, principal, bucketId, true);
      await appendRelayEvent(manager, { ...envelope(principal, bucketId, bucket.version + 1), type: 'bucketDeleted' });
    });
  }

  /** `request`'s output URLs are checked by the controller. */
  async createInput(principal: Principal, bucketId: string, request: CreateInputRequest): Promise<RelayInputView> {
    const inputId = randomUUID();
    await this.write(async (manager) => {
      const bucket = await this.load(manager, principal, bucketId, true);
      await appendRelayEvent(manager, {
        ...envelope(principal, bucketId, bucket.version + 1),
        type: 'inputCreated',
        inputId,
        methods: [...new Set(request.methods)],
        bodyLimitBytes: request.bodyLimitBytes,
        outputs: request.outputs.map((o) => ({ outputId: randomUUID(), url: o.url })),
        rateLimit: request.rateLimit,
        waitForDestinationMs: request.waitForDestinationMs,
      });
    });
    const [row]: InputRow[] = await this.dataSource.query('SELECT * FROM relay_inputs WHERE input_id = $1', [inputId]);
    return toInputView(row!);
  }

  async deleteInput(principal: Principal, bucketId: string, inputId: string): Promise<void> {
    await this.write(async (manager) => {
      const bucket = await this.load(manager, principal, bucketId, true);
      const found: unknown[] = isUuid(inputId) ? await manager.query('SELECT 1 FROM relay_inputs WHERE input_id = $1 AND bucket_id = $2', [inputId, bucketId]) : [];
      if (found.length === 0) throw new NotFoundException(`input ${inputId} of relay bucket ${bucketId} not found`);
      await appendRelayEvent(manager, { ...envelope(principal, bucketId, bucket.version + 1), type: 'inputDeleted', inputId });
    });
  }

  /** Passwords and tokens as argon2id hashes, the signing secret sealed to this bucket. */
  private async storedAuth(bucketId: string, auth: CreateBucketRequest['auth']): Promise<BucketAuth> {
    return {
      basic: auth.basic && { username: auth.basic.username, passwordHash: await slowHash(auth.basic.password) },
      token: auth.token && { header: auth.token.header, tokenHash: await slowHash(auth.token.value) },
      sourceCidrs: auth.sourceCidrs,
      signature: auth.signature && { ...auth.signature, secret: this.secretBox.seal(auth.signature.secret, bucketId) },
      onFailure: auth.onFailure,
    };
  }

  private async write(work: (manager: EntityManager) => Promise<void>): Promise<void> {
    await this.dataSource.transaction(work);
    await this.outbox.publishNow();
  }

  private async load(manager: EntityManager, principal: Principal, bucketId: string, forUpdate = false): Promise<BucketRow> {
    const rows: BucketRow[] = isUuid(bucketId) ? await manager.query(`SELECT * FROM relay_buckets WHERE bucket_id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [bucketId]) : [];
    const found = rows[0];
    if (!found || found.tailnet !== principal.tailnet) throw new NotFoundException(`relay bucket ${bucketId} not found`);
    return found;
  }
}

function envelope(principal: Principal, bucketId: string, version: number): Envelope {
  return { schemaVersion: 1, eventId: randomUUID(), bucketId, tailnet: principal.tailnet, version, occurredAt: new Date().toISOString(), actor: principal.loginName };
}
