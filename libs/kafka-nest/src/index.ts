export * from './consumer-lag.metric';
export * from './consumer-readiness';
export * from './kafka-producer.service';
export * from './kafka.module';
export * from './tokens';
