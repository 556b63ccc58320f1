import type { ProviderType, RateLimit, WebhookEvent } from '@tidings/contracts';
import { json, type ChatFormat, type ChatRequest } from './chat-message';
import { discord } from './discord';
import { googlechat } from './googlechat';
import { mattermost } from './mattermost';
import { ntfy } from './ntfy';
import { slack } from './slack';
import { teams } from './teams';

export type { ChatFormat, ChatRequest } from './chat-message';

const FORMATS: Record<Exclude<ProviderType, ''>, ChatFormat> = { slack, discord, mattermost, googlechat, teams, ntfy };

/** The format of a chat provider; undefined for native endpoints (the JSON array). */
export function chatFormat(provider: ProviderType): ChatFormat | undefined {
  return provider === '' ? undefined : FORMATS[provider];
}

/** The rate limit in force: the endpoint's own, else its chat provider's default, else none (null). */
export function rateLimitInForce(provider: ProviderType, own: RateLimit | null | undefined): RateLimit | null {
  return own ?? chatFormat(provider)?.rateLimit ?? null;
}

/** The requests a batch becomes at a provider: as few messages as its cap allows, in order. */
export function chatRequests(format: ChatFormat, events: WebhookEvent[]): ChatRequest[] {
  const requests: ChatRequest[] = [];
  for (let i = 0; i < events.length; i += format.maxEvents) requests.push(format.message(events.slice(i, i + format.maxEvents)));
  return requests;
}

/** The requests a batch becomes at an endpoint: the native JSON array, or its chat provider's messages. */
export function deliveryRequests(provider: ProviderType, events: WebhookEvent[]): ChatRequest[] {
  const format = chatFormat(provider);
  return format ? chatRequests(format, events) : [json(events)];
}
