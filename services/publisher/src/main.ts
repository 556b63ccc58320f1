import './instrumentation';
import { serviceMain } from '@tidings/service-runtime';
import { loadPublisherConfig } from './publisher-config';
import { PublisherModule } from './publisher.module';

serviceMain({
  name: 'publisher',
  loadConfig: loadPublisherConfig,
  telemetry: (config) => config.telemetry,
  port: (config) => config.port,
  module: (config, logger) => PublisherModule.forRoot(config, logger),
});
