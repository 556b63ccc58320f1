import { z } from 'zod';
import { EVENT_CATEGORIES } from './event-categories';

export { EVENT_CATEGORIES };

export type EventCategory = keyof typeof EVENT_CATEGORIES;
export type CategorizedEventType = (typeof EVENT_CATEGORIES)[EventCategory][number];
/** `test` belongs to no category: it is sent on request and needs no subscription. */
export type EventType = CategorizedEventType | 'test';

export const EVENT_TYPES: readonly EventType[] = [...Object.values(EVENT_CATEGORIES).flat(), 'test'];

const categoryOf = new Map<string, EventCategory>(
  Object.entries(EVENT_CATEGORIES).flatMap(([category, types]) => types.map((t) => [t, category as EventCategory])),
);

export function isEventType(value: string): value is EventType {
  return value === 'test' || categoryOf.has(value);
}

export function isEventCategory(value: string): value is EventCategory {
  return Object.hasOwn(EVENT_CATEGORIES, value);
}

export function categoryOfType(type: EventType): EventCategory | undefined {
  return categoryOf.get(type);
}

/** Domain events produced by the control plane (everything but our own webhook* notices). */
export type DomainEventType = Exclude<EventType, (typeof EVENT_CATEGORIES)['categoryWebhookManagement'][number]>;

const nonEmpty = z.string().min(1);
const nodeFields = { nodeID: nonEmpty, deviceName: nonEmpty, managedBy: z.string(), actor: z.string() };
const userFields = { user: nonEmpty, userID: nonEmpty, actor: z.string() };

const nodeEvent = z.object(nodeFields);
const userEvent = z.object(userFields);

/**
 * The `data` of each domain event type, as the control plane sends it. Unknown extra fields
 * are allowed (the control plane may add some) and passed through as strings.
 */
export const DOMAIN_EVENT_DATA_SCHEMAS: Record<DomainEventType, z.ZodObject> = {
  nodeCreated: nodeEvent,
  nodeNeedsApproval: nodeEvent,
  nodeApproved: nodeEvent,
  nodeKeyExpiringInOneDay: z.object({ ...nodeFields, expiration: z.iso.datetime({ offset: true }) }),
  nodeKeyExpired: nodeEvent,
  nodeDeleted: nodeEvent,
  nodeSigned: nodeEvent,
  nodeNeedsSignature: nodeEvent,
  policyUpdate: z.object({ actor: z.string() }),
  userCreated: userEvent,
  userNeedsApproval: userEvent,
  userSuspended: userEvent,
  userRestored: userEvent,
  userDeleted: userEvent,
  userApproved: userEvent,
  userRoleUpdated: z.object({ ...userFields, oldRoles: z.array(z.string()), newRoles: z.array(z.string()) }),
  subnetIPForwardingNotEnabled: nodeEvent,
  exitNodeIPForwardingNotEnabled: nodeEvent,
  test: z.object({}),
};

/** Types where someone must act: their payload carries a link into the admin console. */
export const ACTIONABLE_EVENT_TYPES: ReadonlySet<EventType> = new Set<EventType>([
  'nodeNeedsApproval',
  'nodeKeyExpiringInOneDay',
  'nodeKeyExpired',
  'nodeNeedsSignature',
  'userNeedsApproval',
  'subnetIPForwardingNotEnabled',
  'exitNodeIPForwardingNotEnabled',
]);
