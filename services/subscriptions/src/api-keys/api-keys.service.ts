import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';
import { ApiKeyEntity } from './api-key.entity';
import { mintToken, tokenHash } from './bearer-tokens';

/** Who a request speaks for: an API key, a portal session minted with one, or Tidings itself. */
export interface Principal {
  /** The API key's id, or the portal session's. */
  keyId: string;
  tailnet: string;
  loginName: string;
  via: 'apiKey' | 'portalSession' | 'system';
}

const KEY_PREFIX = 'tskey-api-';

/**
 * Mints, lists, revokes and checks API keys. A key is `tskey-api-<id>-<32 random bytes>`;
 * only its SHA-256 is stored (the key is random, so a slow hash buys nothing here).
 */
@Injectable()
export class ApiKeysService {
  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

  async create(tailnet: string, loginName: string): Promise<{ id: string; key: string }> {
    const { id, token: key } = mintToken(KEY_PREFIX, 'k');
    await this.keys.insert({ id, tailnet, loginName, keyHash: tokenHash(key), createdAt: new Date(), revokedAt: null });
    return { id, key };
  }

  list(): Promise<ApiKeyEntity[]> {
    return this.keys.find({ order: { createdAt: 'ASC' }, select: { id: true, tailnet: true, loginName: true, createdAt: true, revokedAt: true } });
  }

  /** Returns false when no active key has that id. */
  async revoke(id: string): Promise<boolean> {
    const result = await this.keys.update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
    return (result.affected ?? 0) > 0;
  }

  async authenticate(key: string): Promise<Principal | undefined> {
    if (!key.startsWith(KEY_PREFIX)) return undefined;
    const found = await this.keys.findOne({ where: { keyHash: tokenHash(key), revokedAt: IsNull() } });
    return found ? { keyId: found.id, tailnet: found.tailnet, loginName: found.loginName, via: 'apiKey' } : undefined;
  }
}
