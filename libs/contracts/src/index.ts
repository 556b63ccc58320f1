export * from './cloud-event';
export * from './delivery-records';
export * from './endpoint-config-events';
export * from './event-types';
export * from './headers';
export * from './retry-schedule';
export * from './topics';
export * from './webhook-event';
