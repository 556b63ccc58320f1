import './instrumentation';
import 'reflect-metadata';
import { loadConfigOrExit } from '@tidings/config';
import { runService } from '@tidings/service-runtime';
import { createLogger } from '@tidings/telemetry';
import { loadTriggerConfig } from './trigger-config';
import { TriggerModule } from './trigger.module';

async function main(): Promise<void> {
  const config = loadConfigOrExit(() => loadTriggerConfig(process.env));
  const logger = createLogger(config.telemetry);
  await runService({ name: 'trigger', module: TriggerModule.forRoot(config, logger), port: config.port, logger });
}

void main().catch((error: unknown) => {
  process.stderr.write(`trigger failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
