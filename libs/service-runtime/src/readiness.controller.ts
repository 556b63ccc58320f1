import { Controller, Get, Inject, Module, Res, type DynamicModule } from '@nestjs/common';
import type { Response } from 'express';
import { ReadinessRegistry } from './readiness-registry';

/**
 * Readiness for Kubernetes and load balancers: 200 `{"status":"ready"}` when every registered
 * check passes, else 503 `application/problem+json` naming each check that is not and why.
 * Liveness stays `/health` (the process serves HTTP), so a broker outage takes pods out of
 * rotation without getting them restarted.
 */
@Controller('ready')
export class ReadinessController {
  constructor(@Inject(ReadinessRegistry) private readonly registry: ReadinessRegistry) {}

  @Get()
  async ready(@Res() res: Response): Promise<void> {
    const report = await this.registry.evaluate();
    res.setHeader('cache-control', 'no-store');
    if (report.ready) {
      res.status(200).json({ status: 'ready' });
      return;
    }
    const detail = `not ready: ${report.notReady.map((c) => `${c.name} (${c.reason})`).join('; ')}`;
    res
      .status(503)
      .type('application/problem+json')
      .send(JSON.stringify({ type: 'about:blank', title: 'service unavailable', status: 503, detail, message: detail, notReady: report.notReady }));
  }
}

/** Provides the service's one registry to every module (components register their checks) and serves it. */
@Module({})
export class ReadinessModule {
  static forService(registry = new ReadinessRegistry()): DynamicModule {
    return {
      module: ReadinessModule,
      global: true,
      controllers: [ReadinessController],
      providers: [{ provide: ReadinessRegistry, useValue: registry }],
      exports: [ReadinessRegistry],
    };
  }
}
