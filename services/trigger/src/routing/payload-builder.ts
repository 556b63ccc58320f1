import { ACTIONABLE_EVENT_TYPES, WEBHOOK_EVENT_VERSION, type WebhookEvent } from '@tidings/contracts';
import type { DomainEvent } from '../domain-events/cloud-event-decoder';

type Data = Record<string, unknown>;
const s = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
const node = (d: Data) => `Node ${s(d.deviceName)} (${s(d.nodeID)})`;
const user = (d: Data) => `User ${s(d.user)}`;
const roles = (v: unknown) => (Array.isArray(v) ? v.join(', ') : s(v));

/** The human sentence of each type ("Node laptop (n123) needs approval"). */
const MESSAGES: Record<DomainEvent['type'], (d: Data) => string> = {
  nodeCreated: (d) => `${node(d)} was created`,
  nodeNeedsApproval: (d) => `${node(d)} needs approval`,
  nodeApproved: (d) => `${node(d)} was approved`,
  nodeKeyExpiringInOneDay: (d) => `${node(d)} key expires in one day`,
  nodeKeyExpired: (d) => `${node(d)} key has expired`,
  nodeDeleted: (d) => `${node(d)} was deleted`,
  nodeSigned: (d) => `${node(d)} was signed`,
  nodeNeedsSignature: (d) => `${node(d)} needs a signature`,
  policyUpdate: (d) => `Tailnet policy file updated by ${s(d.actor)}`,
  userCreated: (d) => `${user(d)} was created`,
  userNeedsApproval: (d) => `${user(d)} needs approval`,
  userSuspended: (d) => `${user(d)} was suspended`,
  userRestored: (d) => `${user(d)} was restored`,
  userDeleted: (d) => `${user(d)} was deleted`,
  userApproved: (d) => `${user(d)} was approved`,
  userRoleUpdated: (d) => `${user(d)} role changed from ${roles(d.oldRoles)} to ${roles(d.newRoles)}`,
  subnetIPForwardingNotEnabled: (d) => `${node(d)} is a subnet router but IP forwarding is not enabled`,
  exitNodeIPForwardingNotEnabled: (d) => `${node(d)} is an exit node but IP forwarding is not enabled`,
  test: () => 'This is a test event',
};

/** Where in the admin console someone acts on the event. */
function actionUrl(adminConsoleUrl: string, event: DomainEvent): string {
  const d = event.data;
  if (typeof d.nodeID === 'string') return `${adminConsoleUrl}/machines/${encodeURIComponent(d.nodeID)}`;
  if (typeof d.userID === 'string') return `${adminConsoleUrl}/users`;
  return adminConsoleUrl;
}

/**
 * Turns a domain event into the event object customers receive: a message sentence, data with
 * string values (lists joined with ", "), and a console link where someone must act.
 */
export function buildWebhookEvent(event: DomainEvent, adminConsoleUrl: string): WebhookEvent {
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(event.data)) {
    if (value === undefined || value === null) continue;
    data[key] = Array.isArray(value) ? value.map(s).join(', ') : s(value);
  }
  if (ACTIONABLE_EVENT_TYPES.has(event.type)) data.url = actionUrl(adminConsoleUrl, event);
  return {
    id: event.id,
    timestamp: event.time,
    version: WEBHOOK_EVENT_VERSION,
    type: event.type,
    tailnet: event.tailnet,
    message: MESSAGES[event.type](event.data),
    data,
  };
}
