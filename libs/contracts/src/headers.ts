/** HTTP headers on the wire to customer endpoints and through the egress proxy. */
export const HTTP_HEADERS = {
  tailscaleSignature: 'tailscale-webhook-signature',
  webhookId: 'webhook-id',
  webhookTimestamp: 'webhook-timestamp',
  webhookSignature: 'webhook-signature',
  /** Client → egress: "originate TLS for this http:// request yourself". */
  egressTls: 'x-tidings-tls',
  /** Client → egress: whose request it is, for the ranges granted to one tailnet (EGRESS_TAILNET_CIDRS). */
  egressTailnet: 'x-tidings-tailnet',
  /** Client → egress: which configured client certificate to present (mTLS). */
  egressClientCert: 'x-tidings-client-cert',
  /** Egress → client on refusals: a human reason and a stable code. */
  egressReason: 'x-tidings-reason',
  egressReasonCode: 'x-tidings-reason-code',
  /** Relay → caller and relay → output: the id of the accepted request (the same on every attempt and output). */
  relayRequestId: 'x-tidings-relay-id',
} as const;

/** Kafka record headers Tidings reads or writes. */
export const KAFKA_HEADERS = {
  /** W3C trace context, propagated across every hop. */
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  /** CloudEvents Kafka binding, binary mode: attributes as `ce_<name>`. */
  cloudEventPrefix: 'ce_',
  contentType: 'content-type',
  /** On dead-lettered records: why, and where they came from. */
  dlqReason: 'tidings-dlq-reason',
  dlqReasonCode: 'tidings-dlq-reason-code',
  dlqSourceTopic: 'tidings-dlq-source-topic',
  dlqSourcePartition: 'tidings-dlq-source-partition',
  dlqSourceOffset: 'tidings-dlq-source-offset',
  /** Schema version of an internal record's value. */
  schemaVersion: 'tidings-schema-version',
} as const;

/**
 * How a client addresses the egress: an absolute-form `http://` request target (an https
 * URL's port made explicit, since the scheme switch would drop an implicit :443), its Host, and
 * `X-Tidings-TLS: true` when the egress is to originate TLS itself. The publisher and the
 * relay both speak it.
 */
export function egressRequestTarget(url: string): { path: string; headers: Record<string, string> } {
  const target = new URL(url);
  const tls = target.protocol === 'https:';
  target.protocol = 'http:';
  if (!target.port) target.port = tls ? '443' : '80';
  return { path: target.toString(), headers: { host: target.host, ...(tls ? { [HTTP_HEADERS.egressTls]: 'true' } : {}) } };
}
