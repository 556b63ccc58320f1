// What a browser app (the console) takes from the contracts: zod-free, so its bundle stays small.
export { EVENT_CATEGORIES } from './event-categories';
export { exampleEvent, type ExampleEvent } from './event-examples';
export { PROVIDER_TYPES } from './provider-type-names';
export type { AttemptView, DeadLetterView, DeliveryRequestView, DeliveryState, DeliveryView, EndpointStatus, WebhookView } from './api-views';
export type { RateLimit } from './rate-limit';
