export * from './cached-check';
export * from './health.controller';
export * from './metrics';
export * from './readiness-registry';
export * from './readiness.controller';
export * from './run-service';
