export * from './forwarded-request';
