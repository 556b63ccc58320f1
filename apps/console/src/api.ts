/** The management API, as the console calls it: same origin, the token in a header, never in a URL. */
import type { DeliveryView, RateLimit, WebhookView } from '@tidings/contracts/browser';

export type Webhook = WebhookView;
export type Delivery = DeliveryView;

/** An answer other than 2xx: the problem's detail and the fields it names. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: { field: string; problem: string }[] = [],
  ) {
    super(message);
  }
}

export class Api {
  constructor(private readonly token: string) {}

  listWebhooks(): Promise<{ webhooks: Webhook[] }> {
    return this.call('GET', '/api/v2/tailnet/-/webhooks');
  }
  getWebhook(id: string): Promise<Webhook> {
    return this.call('GET', `/api/v2/webhooks/${encodeURIComponent(id)}`);
  }
  createWebhook(body: { endpointUrl: string; providerType: string; subscriptions: string[] }): Promise<Webhook> {
    return this.call('POST', '/api/v2/tailnet/-/webhooks', body);
  }
  updateWebhook(id: string, body: { subscriptions?: string[]; rateLimit?: RateLimit | null }): Promise<Webhook> {
    return this.call('PATCH', `/api/v2/webhooks/${encodeURIComponent(id)}`, body);
  }
  deleteWebhook(id: string): Promise<unknown> {
    return this.call('DELETE', `/api/v2/webhooks/${encodeURIComponent(id)}`);
  }
  testWebhook(id: string): Promise<{ eventId: string }> {
    return this.call('POST', `/api/v2/webhooks/${encodeURIComponent(id)}/test`);
  }
  rotateSecret(id: string, gracePeriodSeconds: number): Promise<Webhook> {
    return this.call('POST', `/api/v2/webhooks/${encodeURIComponent(id)}/rotate`, { gracePeriodSeconds });
  }
  disable(id: string, reason: string): Promise<Webhook> {
    return this.call('POST', `/api/v2/webhooks/${encodeURIComponent(id)}/disable`, { reason });
  }
  enable(id: string, redeliverDeadLetters: boolean): Promise<Webhook> {
    return this.call('POST', `/api/v2/webhooks/${encodeURIComponent(id)}/enable`, { redeliverDeadLetters });
  }
  deliveries(id: string): Promise<{ deliveries: Delivery[] }> {
    return this.call('GET', `/api/v2/webhooks/${encodeURIComponent(id)}/deliveries?limit=50`);
  }
  delivery(id: string, batchId: string): Promise<Delivery> {
    return this.call('GET', `/api/v2/webhooks/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(batchId)}`);
  }
  replay(id: string, batchId: string): Promise<{ batchId: string }> {
    return this.call('POST', `/api/v2/webhooks/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(batchId)}/replay`);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(path, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed = text ? (JSON.parse(text) as unknown) : {};
    if (!res.ok) {
      const problem = parsed as { detail?: string; errors?: { field: string; problem: string }[] };
      throw new ApiError(res.status, problem.detail ?? `HTTP ${res.status}`, problem.errors ?? []);
    }
    return parsed as T;
  }
}
