export * from './config-error';
export * from './env-rules';
export * from './load-config';
export * from './shared-config';
