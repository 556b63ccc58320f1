import { Controller, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, type AuthenticatedRequest } from '../api-keys/api-key.guard';
import { parseBody } from '../endpoints/webhook.dto';
import { BatchReplayService } from './batch-replay.service';
import { listDeliveriesQuerySchema } from './delivery.dto';
import { DeliveryQueriesService } from './delivery-queries.service';
import type { DeliveryView } from '@tidings/contracts';

/** Ours: an endpoint's deliveries (batches and their attempts) and replay of dead letters. */
@Controller('api/v2/webhooks/:endpointId/deliveries')
@UseGuards(ApiKeyGuard)
export class DeliveriesController {
  constructor(
    private readonly queries: DeliveryQueriesService,
    private readonly replays: BatchReplayService,
  ) {}

  @Get()
  async list(@Req() req: AuthenticatedRequest, @Param('endpointId') endpointId: string, @Query() query: unknown): Promise<{ deliveries: DeliveryView[] }> {
    const { limit } = parseBody(listDeliveriesQuerySchema, query);
    return { deliveries: await this.queries.list(req.principal, endpointId, limit) };
  }

  @Get(':batchId')
  get(@Req() req: AuthenticatedRequest, @Param('endpointId') endpointId: string, @Param('batchId') batchId: string): Promise<DeliveryView> {
    return this.queries.get(req.principal, endpointId, batchId);
  }

  @Post(':batchId/replay')
  @HttpCode(202)
  async replay(@Req() req: AuthenticatedRequest, @Param('endpointId') endpointId: string, @Param('batchId') batchId: string): Promise<{ batchId: string }> {
    await this.replays.replay(req.principal, endpointId, batchId);
    return { batchId };
  }
}
