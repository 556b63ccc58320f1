// The lower test helpers (brokers and database of the run, polling) live in @tidings/test-env,
// which the libs below this harness can use without a cycle.
export * from '@tidings/test-env';
export * from './free-port';
export * from './local-infra';
export * from './otlp-receiver';
export * from './problem-assertions';
export * from './prometheus-scrape';
export * from './repo-root';
export * from './service-process';
export * from './test-ca';
export * from './tidings-stack';
export * from './topic-reader';
export * from './test-dns-server';
export * from './test-socks5-server';
export * from './webhook-receiver';
