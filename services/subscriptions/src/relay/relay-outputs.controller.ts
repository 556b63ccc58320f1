import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import type { DeliveryView } from '@tidings/contracts';
import { ApiKeyGuard, type AuthenticatedRequest } from '../api-keys/api-key.guard';
import { BatchReplayService } from '../deliveries/batch-replay.service';
import { listDeliveriesQuerySchema } from '../deliveries/delivery.dto';
import { DeliveryQueriesService } from '../deliveries/delivery-queries.service';
import { disableWebhookSchema, enableWebhookSchema, parseBody } from '../endpoints/webhook.dto';
import { RelayOutputsService } from './relay-outputs.service';

type OutputParams = { bucketId: string; inputId: string; outputId: string };

/** Ours: a relay output's deliveries, their replay, and enabling (with redelivery) or disabling it, like a webhook's. */
@Controller('api/v2/relay-buckets/:bucketId/inputs/:inputId/outputs/:outputId')
@UseGuards(ApiKeyGuard)
export class RelayOutputsController {
  constructor(
    private readonly outputs: RelayOutputsService,
    private readonly queries: DeliveryQueriesService,
    private readonly replays: BatchReplayService,
  ) {}

  @Get('deliveries')
  async list(@Req() req: AuthenticatedRequest, @Param() p: OutputParams, @Query() query: unknown): Promise<{ deliveries: DeliveryView[] }> {
    const { limit } = parseBody(listDeliveriesQuerySchema, query);
    return { deliveries: await this.queries.listIn(await this.outputs.scope(req.principal, p.bucketId, p.inputId, p.outputId), limit) };
  }

  @Get('deliveries/:batchId')
  async get(@Req() req: AuthenticatedRequest, @Param() p: OutputParams, @Param('batchId') batchId: string): Promise<DeliveryView> {
    return this.queries.getIn(await this.outputs.scope(req.principal, p.bucketId, p.inputId, p.outputId), batchId);
  }

  @Post('deliveries/:batchId/replay')
  @HttpCode(202)
  async replay(@Req() req: AuthenticatedRequest, @Param() p: OutputParams, @Param('batchId') batchId: string): Promise<{ batchId: string }> {
    await this.replays.replayIn(await this.outputs.scope(req.principal, p.bucketId, p.inputId, p.outputId), batchId, req.principal.loginName);
    return { batchId };
  }

  @Post('enable')
  @HttpCode(200)
  async enable(@Req() req: AuthenticatedRequest, @Param() p: OutputParams, @Body() body: unknown): Promise<{ status: 'enabled'; redelivered: number }> {
    const { redeliverDeadLetters } = parseBody(enableWebhookSchema, body);
    const scope = await this.outputs.setEnabled(req.principal, p, true);
    // After the enable committed: the same request again sends what was not sent.
    return { status: 'enabled', redelivered: redeliverDeadLetters ? await this.replays.replayPending(req.principal, scope) : 0 };
  }

  @Post('disable')
  @HttpCode(200)
  async disable(@Req() req: AuthenticatedRequest, @Param() p: OutputParams, @Body() body: unknown): Promise<{ status: 'disabled' }> {
    const { reason } = parseBody(disableWebhookSchema, body);
    await this.outputs.setEnabled(req.principal, p, false, reason);
    return { status: 'disabled' };
  }
}
