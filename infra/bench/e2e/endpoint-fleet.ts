import type { TidingsStack } from '@tidings/testing';
import type { DeliveryProbe } from './delivery-probe';
import type { EventType } from './domain-events';

/** API calls in flight while registering endpoints (the API, not this loop, is what is timed). */
const API_CONCURRENCY = 16;
/** `npm run tidings -- keys create` processes at once. */
const CLI_CONCURRENCY = 4;

/**
 * Registers endpoints the way customers do, through the management API with an API key per
 * tailnet, each on its own path of the HTTPS receiver and subscribed to one event type, and
 * tells the probe their secrets.
 */
export class EndpointFleet {
  private readonly keys = new Map<string, string>();

  constructor(
    private readonly stack: TidingsStack,
    private readonly probe: DeliveryProbe,
  ) {}

  async create(scenario: string, tailnets: string[], perTailnet: number, type: EventType): Promise<{ paths: string[]; seconds: number }> {
    const started = performance.now();
    await inParallel(tailnets.filter((t) => !this.keys.has(t)), CLI_CONCURRENCY, async (tailnet) => {
      const { stdout } = await this.stack.cli('keys', 'create', '--tailnet', tailnet, '--login', `admin@${tailnet}`);
      this.keys.set(tailnet, stdout.trim());
    });
    const slug = scenario.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
    const wanted = tailnets.flatMap((tailnet) => Array.from({ length: perTailnet }, (_, i) => ({ tailnet, path: `/${slug}/${tailnet}/${i}` })));
    await inParallel(wanted, API_CONCURRENCY, async ({ tailnet, path }) => {
      const res = await this.stack.api('POST', `/api/v2/tailnet/${tailnet}/webhooks`, this.keys.get(tailnet), { endpointUrl: `https://localhost:${this.stack.receiverPort}${path}`, subscriptions: [type] });
      if (res.status !== 200) throw new Error(`creating an endpoint failed: ${res.status} ${JSON.stringify(res.body)}`);
      const { secret, standardWebhooksSecret } = res.body as { secret: string; standardWebhooksSecret: string };
      this.probe.watch(path, { secret, standardWebhooksSecret });
    });
    return { paths: wanted.map((w) => w.path), seconds: Math.round((performance.now() - started) / 100) / 10 };
  }
}

async function inParallel<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
