export * from './logger';
export * from './nest-logger';
export * from './start-telemetry';
export * from './version';
