export * from './local-infra';
export * from './repo-root';
export * from './service-process';
export * from './test-ca';
export * from './wait-for';
export * from './webhook-receiver';
