import type { RelayConfigEvent } from '@tidings/contracts';
import type { EndpointState } from './endpoint-state';

/** What one relay config event changes in the endpoint view: outputs to (re)set, outputs gone. */
export interface RelayOutputChanges {
  set: EndpointState[];
  deleted: string[];
}

interface BucketOutputs {
  tailnet: string;
  version: number;
  /** Outputs by input. */
  inputs: Map<string, EndpointState[]>;
}

/**
 * Folds the relay config log into endpoints the publisher can deliver to: each output of each
 * input is an enabled endpoint (id: the output's) marked `relay`, unsigned, at its bucket's
 * version. Events apply in version order per bucket; a redelivered one changes nothing.
 */
export class RelayOutputsFold {
  private readonly buckets = new Map<string, BucketOutputs>();

  apply(e: RelayConfigEvent): RelayOutputChanges {
    const none: RelayOutputChanges = { set: [], deleted: [] };
    const bucket = this.buckets.get(e.bucketId);
    if (e.type === 'bucketCreated') {
      if (!bucket) this.buckets.set(e.bucketId, { tailnet: e.tailnet, version: e.version, inputs: new Map() });
      return none;
    }
    if (!bucket || e.version !== bucket.version + 1) return none;
    bucket.version = e.version;
    switch (e.type) {
      case 'bucketDeleted':
        this.buckets.delete(e.bucketId);
        return { set: [], deleted: [...bucket.inputs.values()].flat().map((o) => o.endpointId) };
      case 'inputCreated': {
        const outputs: EndpointState[] = e.outputs.map((o) => ({
            endpointId: o.outputId,
            tailnet: e.tailnet,
            endpointUrl: o.url,
            providerType: '',
            rateLimit: null,
            subscriptions: [],
            enabled: true,
            disabledReason: null,
            secret: null,
            previousSecret: null,
            version: e.version,
            relay: { bucketId: e.bucketId, inputId: e.inputId },
        }));
        bucket.inputs.set(e.inputId, outputs);
        return { set: outputs, deleted: [] };
      }
      case 'inputDeleted': {
        const outputs = bucket.inputs.get(e.inputId) ?? [];
        bucket.inputs.delete(e.inputId);
        return { set: [], deleted: outputs.map((o) => o.endpointId) };
      }
      case 'outputDisabled':
      case 'outputEnabled': {
        const outputs = bucket.inputs.get(e.inputId);
        const i = outputs?.findIndex((o) => o.endpointId === e.outputId) ?? -1;
        if (!outputs || i < 0) return none;
        // A newer version: the publisher's hold on a dead-lettered output lets go once it is enabled again.
        const enabled = e.type === 'outputEnabled';
        outputs[i] = { ...outputs[i]!, enabled, disabledReason: enabled ? null : e.reason, version: e.version };
        return { set: [outputs[i]!], deleted: [] };
      }
    }
  }
}
