export * from './advisory-locks';
export * from './run-migrations';
