import { Controller, Get, Param, Query, Req, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, type AuthenticatedRequest } from '../api-keys/api-key.guard';
import { listDeliveriesQuerySchema } from '../deliveries/delivery.dto';
import { parseBody } from '../endpoints/webhook.dto';
import { RelayRequestLog, type RelayRequestView } from './relay-request-log';

/** Ours: an input's request log, newest first; one request with what it said (sealed at rest, opened here). */
@Controller('api/v2/relay-buckets/:bucketId/inputs/:inputId/requests')
@UseGuards(ApiKeyGuard)
export class RelayRequestsController {
  constructor(private readonly log: RelayRequestLog) {}

  @Get()
  async list(@Req() req: AuthenticatedRequest, @Param('bucketId') bucketId: string, @Param('inputId') inputId: string, @Query() query: unknown): Promise<{ requests: RelayRequestView[] }> {
    const { limit } = parseBody(listDeliveriesQuerySchema, query);
    return { requests: await this.log.list(req.principal, bucketId, inputId, limit) };
  }

  @Get(':requestId')
  get(@Req() req: AuthenticatedRequest, @Param('bucketId') bucketId: string, @Param('inputId') inputId: string, @Param('requestId') requestId: string): Promise<RelayRequestView> {
    return this.log.get(req.principal, bucketId, inputId, requestId);
  }
}
