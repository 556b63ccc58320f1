import './instrumentation';
import 'reflect-metadata';
import { loadConfigOrExit } from '@tidings/config';
import { runService } from '@tidings/service-runtime';
import { createLogger } from '@tidings/telemetry';
import { loadPublisherConfig } from './publisher-config';
import { PublisherModule } from './publisher.module';

async function main(): Promise<void> {
  const config = loadConfigOrExit(() => loadPublisherConfig(process.env));
  const logger = createLogger(config.telemetry);
  await runService({ name: 'publisher', module: PublisherModule.forRoot(config, logger), port: config.port, logger });
}

void main().catch((error: unknown) => {
  process.stderr.write(`publisher failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
