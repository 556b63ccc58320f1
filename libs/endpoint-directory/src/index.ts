export * from './endpoint-directory';
export * from './endpoint-state';
export * from './relay-outputs';
