import { ForbiddenException, Injectable, NotFoundException, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { ApiKeysService, type Principal } from './api-keys.service';
import { PORTAL_TOKEN_PREFIX, PortalSessionsService } from './portal-sessions.service';

export type AuthenticatedRequest = Request & { principal: Principal };

/**
 * `Authorization: Bearer <key>` (or basic auth with the key as user, as Tailscale's API takes):
 * an API key, or a portal session's token.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly apiKeys: ApiKeysService,
    private readonly portalSessions: PortalSessionsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const key = extractKey(request.headers.authorization);
    if (!key) throw new UnauthorizedException('missing API key: send Authorization: Bearer <key>');
    const portal = key.startsWith(PORTAL_TOKEN_PREFIX);
    const principal = portal ? await this.portalSessions.authenticate(key) : await this.apiKeys.authenticate(key);
    if (!principal) throw new UnauthorizedException(portal ? 'invalid, expired or revoked portal session' : 'invalid or revoked API key');
    request.principal = principal;
    return true;
  }
}

/** The principal, for a route under `tailnet/{tailnet}`: another tailnet is a 404 (`-` names its own). */
export function scoped(req: AuthenticatedRequest, tailnet: string): Principal {
  if (tailnet !== '-' && tailnet !== req.principal.tailnet) throw new NotFoundException(`tailnet ${tailnet} not found`);
  return req.principal;
}

/** Key and session management takes an API key: a portal session never grants it. */
export function apiKeyOnly(principal: Principal): Principal {
  if (principal.via !== 'apiKey') throw new ForbiddenException('a portal session cannot manage portal sessions; use an API key');
  return principal;
}

function extractKey(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.split(' ', 2);
  if (!value) return undefined;
  if (scheme?.toLowerCase() === 'bearer') return value.trim();
  if (scheme?.toLowerCase() === 'basic') return Buffer.from(value, 'base64').toString('utf8').split(':')[0];
  return undefined;
}
