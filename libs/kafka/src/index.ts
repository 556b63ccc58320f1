export * from './consumed-record';
export * from './kafka-client';
export * from './managed-consumer';
export * from './topic-provisioner';
export * from './topic-replayer';
export * from './transactional-pipe';
export * from './trace-context';
export * from './traced-producer';
