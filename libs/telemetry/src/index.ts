export * from './logger';
export * from './span-failure';
export * from './start-telemetry';
export * from './traceparent';
export * from './version';
