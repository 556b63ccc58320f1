// No imports: the console bundles this file, and zod would triple its size.

/**
 * The event types a webhook can carry and the categories that group them. Subscribing to a
 * category includes every type added to it later, so routing resolves categories at delivery
 * time, never at subscription time.
 */
export const EVENT_CATEGORIES = {
  categoryTailnetManagement: [
    'nodeCreated',
    'nodeNeedsApproval',
    'nodeApproved',
    'nodeKeyExpiringInOneDay',
    'nodeKeyExpired',
    'nodeDeleted',
    'nodeSigned',
    'nodeNeedsSignature',
    'policyUpdate',
    'userCreated',
    'userNeedsApproval',
    'userSuspended',
    'userRestored',
    'userDeleted',
    'userApproved',
    'userRoleUpdated',
  ],
  categoryDeviceMisconfigurations: ['subnetIPForwardingNotEnabled', 'exitNodeIPForwardingNotEnabled'],
  categoryWebhookManagement: ['webhookUpdated', 'webhookDeleted', 'webhookDisabled', 'webhookSecretRotated'],
} as const;
