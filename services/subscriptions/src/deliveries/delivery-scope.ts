/**
 * Whose deliveries: a webhook, or an inbound relay output. Each resolves its own (404 for
 * another tailnet's); the deliveries, dead letters and replays are the same for both.
 */
export interface DeliveryScope {
  /** The lane's id: the webhook's endpoint id, or the relay output's id. */
  endpointId: string;
  tailnet: string;
  /** How problems name it: `webhook <id>`, `relay output <id>`. */
  label: string;
  disabled: boolean;
}
