export * from './health.controller';
export * from './run-service';
