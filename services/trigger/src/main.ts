import './instrumentation';
import { serviceMain } from '@tidings/service-runtime';
import { loadTriggerConfig } from './trigger-config';
import { TriggerModule } from './trigger.module';

serviceMain({
  name: 'trigger',
  loadConfig: loadTriggerConfig,
  telemetry: (config) => config.telemetry,
  port: (config) => config.port,
  module: (config, logger) => TriggerModule.forRoot(config, logger),
});
