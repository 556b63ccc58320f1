import './instrumentation';
import 'reflect-metadata';
import { loadConfigOrExit } from '@tidings/config';
import { runService } from '@tidings/service-runtime';
import { createLogger } from '@tidings/telemetry';
import { loadEgressConfig } from './egress-config';
import { EgressModule } from './egress.module';

async function main(): Promise<void> {
  const config = loadConfigOrExit(() => loadEgressConfig(process.env));
  const logger = createLogger(config.telemetry);
  await runService({ name: 'egress', module: EgressModule.forRoot(config, logger), port: config.adminPort, logger });
}

void main().catch((error: unknown) => {
  process.stderr.write(`egress failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
