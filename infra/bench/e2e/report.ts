import type { Limits } from './limits';
import type { Percentiles } from './stats';

export interface ScenarioResult {
  /** Delivered events per second: each (event, endpoint) pair verified at the receiver. */
  eventsPerSecond: number;
  latencyMs: Percentiles | null;
  ratioToKafkaLimit: number;
  ratioToHttpLimit: number;
  [detail: string]: unknown;
}

type Row = Partial<ScenarioResult> & {
  peakRssMiB?: Record<string, number>;
  eventsPerRequest?: number;
  cpuMsPerEvent?: number;
  shareOfOneCore?: number;
  complete?: boolean;
};

const cell = (v: unknown) => (v === undefined ? '' : v);

/** The run as one table (every scenario a row) and the limits it was measured against. */
export function printReport(scenarios: Record<string, unknown>, limits: Limits): void {
  const rows = Object.entries(scenarios).map(([name, result]) => {
    const s = result as Row;
    return {
      scenario: name,
      'events/s': cell(s.eventsPerSecond),
      p50: cell(s.latencyMs?.p50),
      p95: cell(s.latencyMs?.p95),
      p99: cell(s.latencyMs?.p99),
      'x kafka': cell(s.ratioToKafkaLimit),
      'x http': cell(s.ratioToHttpLimit),
      'events/POST': cell(s.eventsPerRequest),
      'CPU ms/event': cell(s.cpuMsPerEvent),
      note: [
        s.complete === false ? 'INCOMPLETE' : '',
        s.shareOfOneCore === undefined ? '' : `${Math.round(s.shareOfOneCore * 1000) / 10}% of one core`,
        s.peakRssMiB ? `peak MiB: ${Object.entries(s.peakRssMiB).map(([k, v]) => `${k} ${v}`).join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; '),
    };
  });
  console.table(rows);
  const { kafka, http, egress } = limits;
  console.log(`limits: raw kafkajs ${kafka.messagesPerSecond} msg/s; direct undici ${http.requestsPerSecond} POSTs/s (one event each); latency in ms`);
  console.log(
    `egress: ${egress.proxied.requestsPerSecond} POSTs/s through it against ${egress.direct.requestsPerSecond} direct at concurrency ${egress.direct.concurrency} (${egress.ratio}); ` +
      `adds ${JSON.stringify(egress.addedLatencyMs)} ms to a sequential POST`,
  );
}
