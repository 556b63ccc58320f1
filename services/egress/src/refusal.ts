/**
 * Why the proxy refused or failed a request. The code is stable (clients and dashboards key on
 * it); the reason text is for humans. Documented in the README's egress table.
 */
export const REFUSALS = {
  blockedAddress: { status: 403, code: 1000 },
  blockedPort: { status: 403, code: 1001 },
  badScheme: { status: 403, code: 1002 },
  userinfo: { status: 403, code: 1003 },
  notAbsoluteForm: { status: 400, code: 1004 },
  unknownClientCert: { status: 400, code: 1005 },
  dnsFailure: { status: 502, code: 1100 },
  connectFailure: { status: 502, code: 1101 },
  tlsFailure: { status: 502, code: 1102 },
  responseTooLarge: { status: 502, code: 1103 },
  upstreamError: { status: 502, code: 1104 },
  connectTimeout: { status: 504, code: 1200 },
  readTimeout: { status: 504, code: 1201 },
  lifetimeExceeded: { status: 504, code: 1202 },
} as const;

export type RefusalKind = keyof typeof REFUSALS;

export class Refusal extends Error {
  readonly status: number;
  readonly code: number;

  constructor(
    readonly kind: RefusalKind,
    reason: string,
  ) {
    super(reason);
    this.status = REFUSALS[kind].status;
    this.code = REFUSALS[kind].code;
  }
}
