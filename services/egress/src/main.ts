import './instrumentation';
import { serviceMain } from '@tidings/service-runtime';
import { loadEgressConfig } from './egress-config';
import { EgressModule } from './egress.module';

serviceMain({
  name: 'egress',
  loadConfig: loadEgressConfig,
  telemetry: (config) => config.telemetry,
  port: (config) => config.adminPort,
  module: (config, logger) => EgressModule.forRoot(config, logger),
});
