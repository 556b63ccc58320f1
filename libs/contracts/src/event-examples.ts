// No imports but types: the console bundles this file for its event catalogue.
import type { EVENT_CATEGORIES } from './event-categories';

type CatalogueType = (typeof EVENT_CATEGORIES)[keyof typeof EVENT_CATEGORIES][number] | 'test';

/** One event as a customer receives it (the shape of `WebhookEvent`, without zod). */
export interface ExampleEvent {
  id: string;
  timestamp: string;
  version: 1;
  type: string;
  tailnet: string;
  message: string;
  data: Record<string, string>;
}

const TAILNET = 'example.com';
const ADMIN = 'https://login.tailscale.com/admin';
const node = { nodeID: 'nDkR3Zn5CNTRL', deviceName: 'laptop', managedBy: '', actor: 'alice@example.com' };
const user = { user: 'bob@example.com', userID: 'uB0bExample', actor: 'alice@example.com' };
const webhook = { endpointId: '0b7e1c4e-8d4a-4f61-9a53-5d2b8f6a1c11', actor: 'alice@example.com' };

/** What each type says and carries, in the sentence form the trigger and the notices use. */
const EXAMPLES: Record<CatalogueType, { message: string; data: Record<string, string> }> = {
  nodeCreated: { message: 'Node laptop (nDkR3Zn5CNTRL) was created', data: node },
  nodeNeedsApproval: { message: 'Node laptop (nDkR3Zn5CNTRL) needs approval', data: { ...node, url: `${ADMIN}/machines/nDkR3Zn5CNTRL` } },
  nodeApproved: { message: 'Node laptop (nDkR3Zn5CNTRL) was approved', data: node },
  nodeKeyExpiringInOneDay: {
    message: 'Node laptop (nDkR3Zn5CNTRL) key expires in one day',
    data: { ...node, expiration: '2026-12-01T09:00:00Z', url: `${ADMIN}/machines/nDkR3Zn5CNTRL` },
  },
  nodeKeyExpired: { message: 'Node laptop (nDkR3Zn5CNTRL) key has expired', data: { ...node, url: `${ADMIN}/machines/nDkR3Zn5CNTRL` } },
  nodeDeleted: { message: 'Node laptop (nDkR3Zn5CNTRL) was deleted', data: node },
  nodeSigned: { message: 'Node laptop (nDkR3Zn5CNTRL) was signed', data: node },
  nodeNeedsSignature: { message: 'Node laptop (nDkR3Zn5CNTRL) needs a signature', data: { ...node, url: `${ADMIN}/machines/nDkR3Zn5CNTRL` } },
  policyUpdate: { message: 'Tailnet policy file updated by alice@example.com', data: { actor: 'alice@example.com' } },
  userCreated: { message: 'User bob@example.com was created', data: user },
  userNeedsApproval: { message: 'User bob@example.com needs approval', data: { ...user, url: `${ADMIN}/users` } },
  userSuspended: { message: 'User bob@example.com was suspended', data: user },
  userRestored: { message: 'User bob@example.com was restored', data: user },
  userDeleted: { message: 'User bob@example.com was deleted', data: user },
  userApproved: { message: 'User bob@example.com was approved', data: user },
  userRoleUpdated: { message: 'User bob@example.com role changed from member to admin, auditor', data: { ...user, oldRoles: 'member', newRoles: 'admin, auditor' } },
  subnetIPForwardingNotEnabled: {
    message: 'Node laptop (nDkR3Zn5CNTRL) is a subnet router but IP forwarding is not enabled',
    data: { ...node, url: `${ADMIN}/machines/nDkR3Zn5CNTRL` },
  },
  exitNodeIPForwardingNotEnabled: {
    message: 'Node laptop (nDkR3Zn5CNTRL) is an exit node but IP forwarding is not enabled',
    data: { ...node, url: `${ADMIN}/machines/nDkR3Zn5CNTRL` },
  },
  webhookUpdated: { message: `Webhook ${webhook.endpointId} subscriptions were changed by alice@example.com`, data: webhook },
  webhookDeleted: { message: `Webhook ${webhook.endpointId} was deleted by alice@example.com`, data: webhook },
  webhookDisabled: { message: `Webhook ${webhook.endpointId} was disabled by alice@example.com`, data: { ...webhook, reason: 'the endpoint answered 410 Gone' } },
  webhookSecretRotated: { message: `Webhook ${webhook.endpointId} secret was rotated by alice@example.com`, data: webhook },
  test: { message: 'This is a test event', data: webhook },
};

/** The admin console the examples link to, and their tailnet: what a spec must build them with. */
export const EXAMPLE_ADMIN_CONSOLE_URL = ADMIN;
export const EXAMPLE_TAILNET = TAILNET;

/** An example event of `type`, as it arrives in a webhook's JSON array. */
export function exampleEvent(type: CatalogueType): ExampleEvent {
  const { message, data } = EXAMPLES[type];
  return { id: `example-${type}`, timestamp: '2026-11-30T09:00:00Z', version: 1, type, tailnet: TAILNET, message, data: { ...data } };
}
