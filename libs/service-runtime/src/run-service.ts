import { Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfigOrExit, type TelemetryConfig } from '@tidings/config';
import { createLogger, stopTelemetry, type Logger } from '@tidings/telemetry';
import { NestPinoLogger } from './nest-logger';
import { HealthController } from './health.controller';
import { MetricsModule } from './metrics';
import { ReadinessModule } from './readiness.controller';

export interface RunServiceOptions {
  name: string;
  /** The service's root module (usually a DynamicModule carrying its config). */
  module: Type | DynamicModule;
  port: number;
  /** Interface to listen on; all by default (containers). */
  host?: string;
  logger: Logger;
}

/**
 * The one shape of every main.ts: the service's module plus /health, /ready and /metrics, logging through pino,
 * listening on its port, and shutting down in order on SIGTERM/SIGINT.
 */
export async function runService(options: RunServiceOptions): Promise<INestApplication> {
  const { logger } = options;
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));

  @Module({ imports: [MetricsModule.forService(options.name), ReadinessModule.forService(), options.module], controllers: [HealthController] })
  class ServiceRootModule {}

  // Body parsing is each service's own business (the API parses JSON in a middleware).
  const app = await NestFactory.create(ServiceRootModule, { logger: new NestPinoLogger(logger), bodyParser: false });
  await app.listen(options.port, options.host ?? '0.0.0.0');
  logger.info({ port: options.port }, `${options.name} listening`);
  stopOnSignals(app, logger);
  return app;
}

/**
 * SIGTERM/SIGINT: app.close() runs every module's shutdown hooks (consumers stop and commit,
 * producers flush, the HTTP server closes), then spans are flushed and the process exits.
 * A second signal while stopping is ignored; the orchestrator's grace period is the limit.
 */
function stopOnSignals(app: INestApplication, logger: Logger): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    logger.info({ signal }, 'shutting down');
    app
      .close()
      .then(() => logger.info({ durationMs: Date.now() - started }, 'stopped'))
      .then(() => stopTelemetry())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
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
  const config = loadConfigOrExit(options.loadConfig);
  const logger = createLogger(options.telemetry(config));
  runService({ name: options.name, module: options.module(config, logger), port: options.port(config), logger }).catch((error: unknown) => {
    logger.fatal({ err: error }, `${options.name} failed to start`);
    process.exit(1);
  });
}
