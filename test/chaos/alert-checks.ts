import type { InjectedFault, FaultKind } from './faults';
import type { LedgerRow } from './ledger';
import type { AlertHistoryEntry } from './prometheus-watch';

/**
 * The alerts a fault must raise, within its span and a grace after it (the scaled rules still
 * need their windows and `for` to pass). Faults without an entry raise nothing certain at a
 * chaos run's rates (a killed instance is replaced within seconds, a receiver down for 20 s
 * fails a few percent of attempts); what they did raise is reported, not required.
 */
export const EXPECTED_ALERTS: Partial<Record<FaultKind, string[]>> = {
  badInput: ['TidingsTriggerDeadLetters'],
  dns: ['TidingsEgressRefusalsHigh'],
};
const GRACE_MS = 45_000;

/**
 * Checks the alert history a real Prometheus recorded against the faults: nothing fired in
 * the quiet stretch before the first fault, each fault's expected alerts fired, and every
 * alert that fired had resolved once the run drained.
 */
export function auditAlerts(history: AlertHistoryEntry[], faults: InjectedFault[], quiet: { from: Date; to: Date }): LedgerRow[] {
  const rows: LedgerRow[] = [];
  const fired = history.filter((h) => h.firingAt !== undefined);
  const early = fired.filter((h) => h.firingAt! >= quiet.from && h.firingAt! < quiet.to);
  rows.push({ check: 'no alert fires in the quiet stretch', ok: early.length === 0, detail: early.length === 0 ? `${Math.round((quiet.to.getTime() - quiet.from.getTime()) / 1_000)} s quiet` : early.map(describe).join('; ') });

  const missing: string[] = [];
  const seen: string[] = [];
  for (const fault of faults.filter((f) => !f.failed)) {
    const to = new Date(fault.endedAt.getTime() + GRACE_MS);
    const during = fired.filter((h) => h.firingAt! >= fault.startedAt && h.firingAt! <= to).map((h) => h.name);
    if (during.length > 0) seen.push(`${fault.kind}: ${[...new Set(during)].join(', ')}`);
    for (const name of EXPECTED_ALERTS[fault.kind] ?? []) if (!during.includes(name)) missing.push(`${name} after ${fault.detail} at ${fault.at}s`);
  }
  rows.push({ check: "each fault's alerts fire", ok: missing.length === 0, detail: `${seen.join('; ') || 'none fired'}${missing.length ? `; MISSING ${missing.join('; ')}` : ''}` });

  const open = fired.filter((h) => h.resolvedAt === undefined);
  rows.push({ check: 'every alert resolves', ok: open.length === 0, detail: open.length === 0 ? `${fired.length} fired, all resolved` : `still firing: ${open.map(describe).join('; ')}` });
  return rows;
}

function describe(h: AlertHistoryEntry): string {
  return `${h.name}${Object.keys(h.labels).length ? JSON.stringify(h.labels) : ''}`;
}
