import { Inject, Injectable, Module, type BeforeApplicationShutdown, type DynamicModule, type INestApplication, type OnApplicationShutdown, type Type } from '@nestjs/common';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfigOrExit, type TelemetryConfig } from '@tidings/config';
import { createLogger, NestPinoLogger, stopTelemetry, type Logger } from '@tidings/telemetry';
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

const SHUTDOWN_LOGGER = Symbol('SHUTDOWN_LOGGER');

/** Logs the shutdown's start and end, and flushes spans after every other hook has run. */
@Injectable()
class ShutdownReporter implements BeforeApplicationShutdown, OnApplicationShutdown {
  private started = 0;

  constructor(@Inject(SHUTDOWN_LOGGER) private readonly logger: Logger) {}

  beforeApplicationShutdown(signal?: string): void {
    this.started = Date.now();
    this.logger.info({ signal }, 'shutting down');
  }

  async onApplicationShutdown(): Promise<void> {
    this.logger.info({ durationMs: Date.now() - this.started }, 'stopped');
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

  @Module({ imports: [options.module], controllers: [HealthController], providers: [ShutdownReporter, { provide: SHUTDOWN_LOGGER, useValue: logger }] })
  class ServiceRootModule {}

  // Body parsing is each service's own business (the API parses JSON in a middleware).
  const app = await NestFactory.create(ServiceRootModule, { logger: new NestPinoLogger(logger), bodyParser: false });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen(options.port, options.host ?? '0.0.0.0');
  logger.info({ port: options.port }, `${options.name} listening`);
  return app;
}

export interface ServiceMainOptions<C> {
  name: string;
  loadConfig: (env: NodeJS.ProcessEnv) => C;
  telemetry: (config: C) => TelemetryConfig;
  port: (config: C) => number;
  module: (config: C, logger: Logger) => Type | DynamicModule;
}

/**
 * The whole of a service's main.ts after its instrumentation import: validate the environment
 * (exit 78 naming each bad variable), create the logger, run the Nest app; a start-up failure
 * is printed and exits 1.
 */
export function serviceMain<C>(options: ServiceMainOptions<C>): void {
  const config = loadConfigOrExit(() => options.loadConfig(process.env));
  const logger = createLogger(options.telemetry(config));
  runService({ name: options.name, module: options.module(config, logger), port: options.port(config), logger }).catch((error: unknown) => {
    logger.fatal({ err: error }, `${options.name} failed to start`);
    process.exit(1);
  });
}
