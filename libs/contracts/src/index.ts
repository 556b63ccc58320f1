export * from './cloud-event';
export * from './endpoint-config-events';
export * from './event-types';
export * from './headers';
export * from './topics';
export * from './webhook-event';
