export * from './endpoint-directory';
export * from './endpoint-state';
