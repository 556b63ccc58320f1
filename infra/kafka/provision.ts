/**
 * Creates or corrects Tidings' topics on the cluster in KAFKA_BROKERS (names from
 * DOMAIN_EVENTS_TOPIC and KAFKA_TOPIC_PREFIX). The services run the same provisioning at boot;
 * this is the operator's and the Helm hook's entry point.
 */
import { topicSpecs } from '@tidings/contracts';
import { loadConfigOrExit, loadKafkaConfig } from '@tidings/config';
import { createKafkaClient, provisionTopics } from '@tidings/kafka';
import { createLogger } from '@tidings/telemetry';

async function main(): Promise<void> {
  const config = loadConfigOrExit(() => loadKafkaConfig(process.env, 'tidings-provision'));
  const logger = createLogger({ serviceName: 'tidings-provision', logLevel: 'warn' });
  const admin = createKafkaClient(config, logger).admin();
  await admin.connect();
  try {
    const report = await provisionTopics(admin, topicSpecs(config.topics, config.retrySchedule));
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await admin.disconnect();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`provisioning failed: ${(error as Error).message}\n`);
  process.exit(1);
});
