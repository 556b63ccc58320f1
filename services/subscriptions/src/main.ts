import './instrumentation';
import { serviceMain } from '@tidings/service-runtime';
import { loadSubscriptionsConfig } from './subscriptions-config';
import { SubscriptionsModule } from './subscriptions.module';

serviceMain({
  name: 'subscriptions',
  loadConfig: loadSubscriptionsConfig,
  telemetry: (config) => config.telemetry,
  port: (config) => config.port,
  module: (config, logger) => SubscriptionsModule.forRoot(config, logger),
});
