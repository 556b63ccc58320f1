import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, type AuthenticatedRequest } from '../api-keys/api-key.guard';
import type { Principal } from '../api-keys/api-keys.service';
import { EndpointCommandsService } from './endpoint-commands.service';
import { EndpointQueriesService } from './endpoint-queries.service';
import { createWebhookSchema, parseBody, toWebhookView, type WebhookView } from './webhook.dto';

/** Tailscale's webhook API paths (`-` names the key's own tailnet, as in Tailscale's API). */
@Controller('api/v2')
@UseGuards(ApiKeyGuard)
export class WebhooksController {
  constructor(
    private readonly commands: EndpointCommandsService,
    private readonly queries: EndpointQueriesService,
  ) {}

  @Get('tailnet/:tailnet/webhooks')
  async list(@Req() req: AuthenticatedRequest, @Param('tailnet') tailnet: string): Promise<{ webhooks: WebhookView[] }> {
    const principal = scoped(req, tailnet);
    return { webhooks: (await this.queries.list(principal)).map((e) => toWebhookView(e)) };
  }

  @Post('tailnet/:tailnet/webhooks')
  @HttpCode(200)
  async create(@Req() req: AuthenticatedRequest, @Param('tailnet') tailnet: string, @Body() body: unknown): Promise<WebhookView> {
    const principal = scoped(req, tailnet);
    const { endpoint, secret } = await this.commands.create(principal, parseBody(createWebhookSchema, body));
    return toWebhookView(endpoint, secret);
  }

  @Get('webhooks/:endpointId')
  async get(@Req() req: AuthenticatedRequest, @Param('endpointId') endpointId: string): Promise<WebhookView> {
    return toWebhookView(await this.queries.get(req.principal, endpointId));
  }

  @Delete('webhooks/:endpointId')
  @HttpCode(200)
  async delete(@Req() req: AuthenticatedRequest, @Param('endpointId') endpointId: string): Promise<Record<string, never>> {
    await this.commands.delete(req.principal, endpointId);
    return {};
  }
}

/** A key speaks for one tailnet; any other tailnet in the path does not exist for it. */
function scoped(req: AuthenticatedRequest, tailnet: string): Principal {
  if (tailnet !== '-' && tailnet !== req.principal.tailnet) throw new NotFoundException(`tailnet ${tailnet} not found`);
  return req.principal;
}
