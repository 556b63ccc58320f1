import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Req, UseGuards } from '@nestjs/common';
import type { RelayBucketView, RelayInputView } from '@tidings/contracts';
import { ApiKeyGuard, scoped, type AuthenticatedRequest } from '../api-keys/api-key.guard';
import { EndpointUrlPolicy } from '../endpoints/endpoint-url.policy';
import { parseBody } from '../endpoints/webhook.dto';
import { createBucketSchema, createInputSchema } from './relay-bucket.dto';
import { RelayBucketsService } from './relay-buckets.service';

/** Ours: the inbound relay's buckets and their inputs, for an API key (or portal session) of the tailnet. */
@Controller('api/v2')
@UseGuards(ApiKeyGuard)
export class RelayBucketsController {
  constructor(
    private readonly buckets: RelayBucketsService,
    @Inject(EndpointUrlPolicy) private readonly urlPolicy: EndpointUrlPolicy,
  ) {}

  @Get('tailnet/:tailnet/relay-buckets')
  async list(@Req() req: AuthenticatedRequest, @Param('tailnet') tailnet: string): Promise<{ buckets: RelayBucketView[] }> {
    return { buckets: await this.buckets.list(scoped(req, tailnet)) };
  }

  @Post('tailnet/:tailnet/relay-buckets')
  @HttpCode(200)
  create(@Req() req: AuthenticatedRequest, @Param('tailnet') tailnet: string, @Body() body: unknown): Promise<RelayBucketView> {
    return this.buckets.create(scoped(req, tailnet), parseBody(createBucketSchema, body));
  }

  @Get('relay-buckets/:bucketId')
  get(@Req() req: AuthenticatedRequest, @Param('bucketId') bucketId: string): Promise<RelayBucketView> {
    return this.buckets.get(req.principal, bucketId);
  }

  @Delete('relay-buckets/:bucketId')
  @HttpCode(200)
  async delete(@Req() req: AuthenticatedRequest, @Param('bucketId') bucketId: string): Promise<Record<string, never>> {
    await this.buckets.delete(req.principal, bucketId);
    return {};
  }

  /** Each output URL is judged like a webhook's: https, and no address the egress would refuse. */
  @Post('relay-buckets/:bucketId/inputs')
  @HttpCode(200)
  createInput(@Req() req: AuthenticatedRequest, @Param('bucketId') bucketId: string, @Body() body: unknown): Promise<RelayInputView> {
    const outputs = (body as { outputs?: unknown } | undefined)?.outputs;
    const urlProblems = (Array.isArray(outputs) ? outputs : []).flatMap((o: unknown, i) => {
      const url = (o as { url?: unknown } | null)?.url;
      const problem = typeof url === 'string' ? this.urlPolicy.check(url, { tailnet: req.principal.tailnet, plainHttpInGrant: true }) : undefined;
      return problem ? [{ field: `outputs.${i}.url`, problem }] : [];
    });
    return this.buckets.createInput(req.principal, bucketId, parseBody(createInputSchema, body, urlProblems));
  }

  @Delete('relay-buckets/:bucketId/inputs/:inputId')
  @HttpCode(200)
  async deleteInput(@Req() req: AuthenticatedRequest, @Param('bucketId') bucketId: string, @Param('inputId') inputId: string): Promise<Record<string, never>> {
    await this.buckets.deleteInput(req.principal, bucketId, inputId);
    return {};
  }
}
