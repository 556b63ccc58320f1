import type { RateLimit, WebhookEvent } from '@tidings/contracts';

/** One HTTP request to a chat provider: its body and the headers that go with it. */
export interface ChatRequest {
  body: string;
  contentType: string;
  /** Provider-specific headers (ntfy's Title, Click, Tags); the signature headers are added by the sender. */
  headers: Record<string, string>;
}

/** A provider's body format, the most events one of its messages carries, and how often a webhook may be posted to. */
export interface ChatFormat {
  maxEvents: number;
  /** At most `requests` messages in any `perSeconds` seconds (its documented per-webhook limit); none: unlimited. */
  rateLimit?: RateLimit;
  /** One message for at most `maxEvents` events, in order. */
  message(events: WebhookEvent[]): ChatRequest;
}

/** The admin-console link of an event (`data.url`), when it is an https URL. */
export function consoleLink(event: WebhookEvent): string | undefined {
  const url = event.data.url;
  if (!url) return undefined;
  try {
    return new URL(url).protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps `text` within `max` characters (a provider's field limit), marking the cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * Backslash before every CommonMark punctuation character, so customer text (device and user
 * names) shows as typed and formats nothing: `*`, `_`, `[..](..)`, `<..>`, `#`, `>` and the rest.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`);
}

/** A zero-width space after every `@`: `@here`, `@channel`, `@all` mention no one. */
export function defuseMentions(text: string): string {
  return text.replace(/@/g, '@\u200b');
}

/** The five characters HTML treats specially. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function json(value: unknown): ChatRequest {
  return { body: JSON.stringify(value), contentType: 'application/json', headers: {} };
}
