export * from './caller-check';
export * from './sender-signature';
export * from './slow-hash';
export * from './source-address';
