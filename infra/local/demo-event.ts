import { randomUUID } from 'node:crypto';
import type { CloudEvent } from '@tidings/contracts';

/** The domain event the demo produces: a node waiting for an admin's approval. */
export function demoCloudEvent(tailnet: string): CloudEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: '//control.tidings.local/demo',
    type: 'nodeNeedsApproval',
    time: new Date().toISOString(),
    tailnet,
    datacontenttype: 'application/json',
    data: { nodeID: 'nDemo1234CNTRL', deviceName: 'demo-laptop', managedBy: 'demo@example.com', actor: 'demo@example.com' },
  };
}
