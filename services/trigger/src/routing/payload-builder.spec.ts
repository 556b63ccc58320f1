import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildWebhookEvent } from './payload-builder';
import type { DomainEvent } from '../domain-events/cloud-event-decoder';

const event = (type: DomainEvent['type'], data: Record<string, unknown>): DomainEvent => ({
  specversion: '1.0',
  id: 'ev1',
  source: '//control',
  type,
  time: '2026-11-22T10:00:00Z',
  tailnet: 'example.com',
  data,
});

describe('buildWebhookEvent', () => {
  it('writes the sentence and the console link for an event someone must act on', () => {
    const built = buildWebhookEvent(event('nodeNeedsApproval', { nodeID: 'n123', deviceName: 'laptop', managedBy: 'a@b', actor: 'a@b' }), 'https://console.example/admin');
    assert.deepEqual(built, {
      id: 'ev1',
      timestamp: '2026-11-22T10:00:00Z',
      version: 1,
      type: 'nodeNeedsApproval',
      tailnet: 'example.com',
      message: 'Node laptop (n123) needs approval',
      data: { nodeID: 'n123', deviceName: 'laptop', managedBy: 'a@b', actor: 'a@b', url: 'https://console.example/admin/machines/n123' },
    });
  });

  it('turns every data value into a string and adds no link where nobody must act', () => {
    const built = buildWebhookEvent(event('userRoleUpdated', { user: 'u@x', userID: 'u1', actor: 'a@b', oldRoles: ['member'], newRoles: ['admin', 'auditor'] }), 'https://c');
    assert.equal(built.message, 'User u@x role changed from member to admin, auditor');
    assert.equal(built.data.newRoles, 'admin, auditor');
    assert.equal(built.data.url, undefined);
    for (const v of Object.values(built.data)) assert.equal(typeof v, 'string');
  });
});
