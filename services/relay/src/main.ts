import './instrumentation';
import { serviceMain } from '@tidings/service-runtime';
import { loadRelayConfig } from './relay-config';
import { RelayModule } from './relay.module';

serviceMain({
  name: 'relay',
  loadConfig: loadRelayConfig,
  telemetry: (config) => config.telemetry,
  port: (config) => config.port,
  module: (config, logger) => RelayModule.forRoot(config, logger),
});
