import './instrumentation';
import 'reflect-metadata';
import { loadConfigOrExit } from '@tidings/config';
import { runService } from '@tidings/service-runtime';
import { createLogger } from '@tidings/telemetry';
import { loadSubscriptionsConfig } from './subscriptions-config';
import { SubscriptionsModule } from './subscriptions.module';

async function main(): Promise<void> {
  const config = loadConfigOrExit(() => loadSubscriptionsConfig(process.env));
  const logger = createLogger(config.telemetry);
  await runService({ name: 'subscriptions', module: SubscriptionsModule.forRoot(config, logger), port: config.port, logger });
}

void main().catch((error: unknown) => {
  process.stderr.write(`subscriptions failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
