export * from './advisory-locks';
export * from './run-migrations';
export * from './unnest-insert';
