import { sealedSecretSchema, type SealedSecret } from './endpoint-config-events';
import type { RelayRequestRecord } from './relay-requests';
import { WEBHOOK_EVENT_VERSION, type WebhookEvent } from './webhook-event';

/**
 * How an accepted relay request travels the delivery engine: as a one-event batch on each
 * output's lane, so it gets the webhooks' order, retries, dead letters and replay unchanged.
 * The event's id is the request's (the seal's context); its data carries the sealed request,
 * never anything in clear but method and size.
 */
export const RELAY_EVENT_TYPE = 'relay.request';

export function relayLaneEvent(record: RelayRequestRecord): WebhookEvent {
  return {
    id: record.requestId,
    timestamp: record.receivedAt,
    version: WEBHOOK_EVENT_VERSION,
    type: RELAY_EVENT_TYPE,
    tailnet: record.tailnet,
    message: `${record.method} request to input ${record.inputId}`,
    data: { inputId: record.inputId, method: record.method, size: String(record.size), request: JSON.stringify(record.request) },
  };
}

/** The sealed request a relay event carries (context: the event's id), or undefined if it carries none. */
export function sealedRelayRequestOf(event: WebhookEvent): SealedSecret | undefined {
  if (event.type !== RELAY_EVENT_TYPE || !event.data.request) return undefined;
  try {
    const parsed = sealedSecretSchema.safeParse(JSON.parse(event.data.request));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
