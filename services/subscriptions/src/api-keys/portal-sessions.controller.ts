import { Body, Controller, Delete, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { parseBody } from '../endpoints/webhook.dto';
import { ApiKeyGuard, apiKeyOnly, scoped, type AuthenticatedRequest } from './api-key.guard';
import { PortalSessionsService, type PortalSessionView } from './portal-sessions.service';

/** A minute to a day; an hour unless asked. */
export const createPortalSessionSchema = z
  .object({
    ttlSeconds: z.number({ error: 'must be a number of seconds' }).int('must be a whole number of seconds').min(60, 'must be at least 60').max(86_400, 'must be at most 86400 (a day)').default(3_600),
    /** Who the customer is, for the audit trail (the actor of what the session changes). */
    loginName: z
      .string({ error: 'must be a string' })
      .min(1, 'must not be empty')
      .max(200, 'must be at most 200 characters')
      .refine((s) => !/[\u0000-\u001f]/.test(s), { message: 'must not contain control characters' })
      .optional(),
  })
  .default({ ttlSeconds: 3_600 });

/** Portal sessions (ours): minted and revoked with an API key of the tailnet, never with a session. */
@Controller('api/v2/tailnet/:tailnet/portal-sessions')
@UseGuards(ApiKeyGuard)
export class PortalSessionsController {
  constructor(private readonly sessions: PortalSessionsService) {}

  @Post()
  @HttpCode(200)
  create(@Req() req: AuthenticatedRequest, @Param('tailnet') tailnet: string, @Body() body: unknown): Promise<PortalSessionView> {
    const by = apiKeyOnly(scoped(req, tailnet));
    const { ttlSeconds, loginName } = parseBody(createPortalSessionSchema, body);
    return this.sessions.create(by, ttlSeconds, loginName);
  }

  @Delete(':sessionId')
  @HttpCode(200)
  async revoke(@Req() req: AuthenticatedRequest, @Param('tailnet') tailnet: string, @Param('sessionId') sessionId: string): Promise<Record<string, never>> {
    await this.sessions.revoke(apiKeyOnly(scoped(req, tailnet)), sessionId);
    return {};
  }
}
