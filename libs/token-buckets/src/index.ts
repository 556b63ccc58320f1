export * from './token-buckets';
