import { Injectable, Module, type DynamicModule, type INestApplication, type OnApplicationShutdown, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestPinoLogger, stopTelemetry, type Logger } from '@tidings/telemetry';
import { HealthController } from './health.controller';

export interface RunServiceOptions {
  name: string;
  /** The service's root module (usually a DynamicModule carrying its config). */
  module: Type | DynamicModule;
  port: number;
  /** Interface to listen on; all by default (containers). */
  host?: string;
  logger: Logger;
}

/** Flushes spans after every other shutdown hook has run. */
@Injectable()
class TelemetryFlusher implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await stopTelemetry();
  }
}

/**
 * The one shape of every main.ts: the service's module plus /health, logging through pino,
 * listening on its port, and shutting down in order on SIGTERM/SIGINT (Nest's shutdown hooks
 * stop consumers and flush producers; spans are flushed last).
 */
export async function runService(options: RunServiceOptions): Promise<INestApplication> {
  const { logger } = options;
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));

  @Module({ imports: [options.module], controllers: [HealthController], providers: [TelemetryFlusher] })
  class ServiceRootModule {}

  const app = await NestFactory.create(ServiceRootModule, { logger: new NestPinoLogger(logger) });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen(options.port, options.host ?? '0.0.0.0');
  logger.info({ port: options.port }, `${options.name} listening`);
  return app;
}
