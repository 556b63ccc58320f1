import type { ChaosResult } from './chaos-run';

/** The ledger as a table, the faults injected, the figures, and the verdict with its seed. */
export function formatReport(result: ChaosResult): string {
  const lines = ['', '| check | result | detail |', '| --- | --- | --- |'];
  for (const row of result.rows) lines.push(`| ${row.check} | ${row.ok ? 'ok' : 'BREACH'} | ${row.detail.replaceAll('|', '/')} |`);
  const kinds = new Map<string, number>();
  for (const f of result.faults) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
  lines.push('', `faults: ${[...kinds].map(([k, n]) => `${k} ×${n}`).join(', ') || 'none'}`);
  for (const f of result.faults) lines.push(`  ${f.at}s ${f.detail}`);
  lines.push('', `figures: ${Object.entries(result.figures).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push('', result.ok ? `clean ledger (seed ${result.seed})` : `LEDGER BREACHED: replay with --seed ${result.seed}`);
  return lines.join('\n');
}
