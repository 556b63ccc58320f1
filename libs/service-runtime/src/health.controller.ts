import { Controller, Get } from '@nestjs/common';

/** Liveness for Kubernetes probes and the local runner: the process serves HTTP. */
@Controller('health')
export class HealthController {
  @Get()
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
