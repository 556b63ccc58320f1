import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, MoreThan, type Repository } from 'typeorm';
import type { Principal } from './api-keys.service';
import { mintToken, tokenHash } from './bearer-tokens';
import { PortalSessionEntity } from './portal-session.entity';

export const PORTAL_TOKEN_PREFIX = 'tskey-portal-';

/** What the API answers to a new session: the token is shown only then. */
export interface PortalSessionView {
  id: string;
  tailnet: string;
  loginName: string;
  expiresAt: string;
  token?: string;
}

/**
 * Portal sessions (ours): a platform mints one with its API key for one of its customers, who
 * then manages that tailnet's webhooks with it and nothing else. A token is
 * `tskey-portal-<id>-<32 random bytes>`, stored as its SHA-256; it stops at its expiry or when
 * revoked, and never manages keys or other sessions.
 */
@Injectable()
export class PortalSessionsService {
  constructor(@InjectRepository(PortalSessionEntity) private readonly sessions: Repository<PortalSessionEntity>) {}

  async create(by: Principal, ttlSeconds: number, loginName: string | undefined): Promise<PortalSessionView> {
    const { id, token } = mintToken(PORTAL_TOKEN_PREFIX, 'ps');
    const now = new Date();
    const session = {
      id,
      tailnet: by.tailnet,
      loginName: loginName ?? `portal:${id}`,
      createdByKeyId: by.keyId,
      tokenHash: tokenHash(token),
      createdAt: now,
      expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
      revokedAt: null,
    };
    await this.sessions.insert(session);
    return { ...view(session), token };
  }

  /** Another tailnet's session is indistinguishable from a missing one. */
  async revoke(by: Principal, id: string): Promise<void> {
    const result = await this.sessions.update({ id, tailnet: by.tailnet, revokedAt: IsNull() }, { revokedAt: new Date() });
    if ((result.affected ?? 0) === 0 && !(await this.sessions.existsBy({ id, tailnet: by.tailnet }))) throw new NotFoundException(`portal session ${id} not found`);
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    if (!token.startsWith(PORTAL_TOKEN_PREFIX)) return undefined;
    const found = await this.sessions.findOneBy({ tokenHash: tokenHash(token), revokedAt: IsNull(), expiresAt: MoreThan(new Date()) });
    return found ? { keyId: found.id, tailnet: found.tailnet, loginName: found.loginName, via: 'portalSession' } : undefined;
  }
}

function view(s: Pick<PortalSessionEntity, 'id' | 'tailnet' | 'loginName' | 'expiresAt'>): PortalSessionView {
  return { id: s.id, tailnet: s.tailnet, loginName: s.loginName, expiresAt: s.expiresAt.toISOString() };
}
