import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { ApiKeysService, type Principal } from './api-keys.service';

export type AuthenticatedRequest = Request & { principal: Principal };

/** `Authorization: Bearer <key>` (or basic auth with the key as user, as Tailscale's API takes). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly apiKeys: ApiKeysService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const key = extractKey(request.headers.authorization);
    if (!key) throw new UnauthorizedException('missing API key: send Authorization: Bearer <key>');
    const principal = await this.apiKeys.authenticate(key);
    if (!principal) throw new UnauthorizedException('invalid or revoked API key');
    request.principal = principal;
    return true;
  }
}

function extractKey(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.split(' ', 2);
  if (!value) return undefined;
  if (scheme?.toLowerCase() === 'bearer') return value.trim();
  if (scheme?.toLowerCase() === 'basic') return Buffer.from(value, 'base64').toString('utf8').split(':')[0];
  return undefined;
}
