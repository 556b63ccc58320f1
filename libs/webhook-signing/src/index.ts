export * from './signature';
export * from './webhook-secret';
