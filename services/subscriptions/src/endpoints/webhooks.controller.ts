import { Body, Controller, Inject, Delete, Get, HttpCode, Param, Patch, Post, Req, UseGuards } from '@nestjs/common';
import type { WebhookView } from '@tidings/contracts';
import { ApiKeyGuard, scoped, type AuthenticatedRequest } from '../api-keys/api-key.guard';
import { BatchReplayService } from '../deliveries/batch-replay.service';
import { webhookScope } from '../deliveries/delivery-queries.service';
import { EndpointCommandsService } from './endpoint-commands.service';
import { EndpointQueriesService } from './endpoint-queries.service';
import { EndpointUrlPolicy } from './endpoint-url.policy';
import { createWebhookSchema, disableWebhookSchema, enableWebhookSchema, parseBody, patchWebhookSchema, rotateSecretSchema, toWebhookView } from './webhook.dto';

/**
 * Tailscale's webhook API (same paths, fields and status codes; `-` names the key's own
 * tailnet) plus ours: disable, and enable (optionally redelivering the dead letters). Every
 * route needs an API key of the tailnet.
 */
@Controller('api/v2')
@UseGuards(ApiKeyGuard)
export class WebhooksController {
  constructor(
    private readonly commands: EndpointCommandsService,
    private readonly queries: EndpointQueriesService,
    private readonly replays: BatchReplayService,
    @Inject(EndpointUrlPolicy) private readonly urlPolicy: EndpointUrlPolicy,
  ) {}

  @Get('tailnet/:tailnet/webhooks')
  async list(@Req() req: AuthenticatedRequest, @Param('tailnet') tailnet: string): Promise<{ webhooks: WebhookView[] }> {
    return { webhooks: (await this.queries.list(scoped(req, tailnet))).map((e) => toWebhookView(e)) };
  }

  @Post('tailnet/:tailnet/webhooks')
  @HttpCode(200)
  async create(@Req() req: AuthenticatedRequest, @Param('tailnet') tailnet: string, @Body() body: unknown): Promise<WebhookView> {
    const rawUrl = (body as { endpointUrl?: unknown } | undefined)?.endpointUrl;
    const urlProblem = typeof rawUrl === 'string' ? this.urlPolicy.check(rawUrl, { tailnet: scoped(req, tailnet).tailnet }) : undefined;
    const request = parseBody(createWebhookSchema, body, urlProblem ? [{ field: 'endpointUrl', problem: urlProblem }] : []);
    const { endpoint, secret } = await this.commands.create(scoped(req, tailnet), request);
    return toWebhookView(endpoint, secret);
  }

  @Get('webhooks/:endpointId')
  async get(@Req() req: AuthenticatedRequest, @Param('endpointId') endpointId: string): Promise<WebhookView> {
    return toWebhookView(await this.queries.get(req.principal, endpointId));
  }

  @Patch('webhooks/:endpointId')
  async update(@Req() req: AuthenticatedRequest, @Param('endpointId') endpointId: string, @Body() body: unknown): Promise<WebhookView> {
    return toWebhookView(await this.commands.update(req.principal, endpointId, parseBody(patchWebhookSchema, body)));
  }

  @Delete('webhooks/:endpointId')
  @HttpCode(200)
  async delete(@Req() req: AuthenticatedRequest, @Param('endpointId') endpointId: string): Promise<Record<string, never>> {
    await this.commands.delete(req.principal, endpointId);
    return {};
  }

  @Post('webhooks/:endpointId/test')
  @HttpCode(202)
  async test(@Req() req: AuthenticatedRequest, @Param('endpointId') endpointId: string): Promise<{ eventId: string }> {
    return { eventId: await this.commands.sendTest(req.principal, endpointId) };
  }

  @Post('webhooks/:endpointId/rotate')
  @HttpCode(200)
  async rotate(@Req() req: AuthenticatedRequest, @Param('endpointId') endpointId: string, @Body() body: unknown): Promise<WebhookView> {
    const { gracePeriodSeconds } = parseBody(rotateSecretSchema, body);
    const { endpoint, secret } = await this.commands.rotateSecret(req.principal, endpointId, gracePeriodSeconds);
    return toWebhookView(endpoint, secret);
  }

  @Post('webhooks/:endpointId/disable')
  @HttpCode(200)
  async disable(@Req() req: AuthenticatedRequest, @Param('endpointId') endpointId: string, @Body() body: unknown): Promise<WebhookView> {
    const { reason } = parseBody(disableWebhookSchema, body);
    return toWebhookView(await this.commands.disable(req.principal, endpointId, reason));
  }

  @Post('webhooks/:endpointId/enable')
  @HttpCode(200)
  async enable(@Req() req: AuthenticatedRequest, @Param('endpointId') endpointId: string, @Body() body: unknown): Promise<WebhookView> {
    const { redeliverDeadLetters } = parseBody(enableWebhookSchema, body);
    const endpoint = await this.commands.enable(req.principal, endpointId);
    // After the enable committed: should the replay fail, the same request again (enable is a
    // no-op then) sends what was not sent.
    if (redeliverDeadLetters) await this.replays.replayPending(req.principal, webhookScope(endpoint));
    return toWebhookView(endpoint);
  }
}
