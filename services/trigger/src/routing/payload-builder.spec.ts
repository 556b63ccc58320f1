import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DOMAIN_EVENT_DATA_SCHEMAS, EXAMPLE_ADMIN_CONSOLE_URL, EXAMPLE_TAILNET, exampleEvent } from '@tidings/contracts';
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

describe('the event catalogue', () => {
  it("shows for every domain type exactly what the trigger builds from the example's data", () => {
    const domainTypes = Object.keys(DOMAIN_EVENT_DATA_SCHEMAS) as DomainEvent['type'][];
    for (const type of domainTypes) {
      const example = exampleEvent(type);
      const data = { ...example.data };
      delete data.url; // the trigger adds the link itself
      // The control plane sends role lists as arrays; the payload joins them.
      const input = type === 'userRoleUpdated' ? { ...data, oldRoles: data.oldRoles!.split(', '), newRoles: data.newRoles!.split(', ') } : data;
      const built = buildWebhookEvent({ ...event(type, input), id: example.id, time: example.timestamp, tailnet: EXAMPLE_TAILNET }, EXAMPLE_ADMIN_CONSOLE_URL);
      assert.deepEqual(built, example, type);
    }
  });
});
