import type { WebhookEvent } from '@tidings/contracts';
import { clip, consoleLink, type ChatFormat } from './chat-message';

/**
 * A header value as ASCII on one line: control characters dropped, and non-ASCII text as an
 * RFC 2047 encoded word, which ntfy decodes.
 */
export function headerValue(text: string): string {
  const line = text.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return /^[\x20-\x7e]*$/.test(line) ? line : `=?UTF-8?B?${Buffer.from(line, 'utf8').toString('base64')}?=`;
}

/**
 * ntfy: a plain-text body (ntfy renders markdown only when asked with `Markdown: yes`), a line
 * per event; `Title` names the tailnet, `Click` opens the first event's console link, `Tags`
 * the event types (shown as emoji where ntfy knows them). 4,096 bytes is ntfy's message limit.
 */
export const ntfy: ChatFormat = {
  maxEvents: 10,
  // ntfy.sh: a burst of 60, then one message every 5 seconds per visitor; 12 a minute leaves room.
  rateLimit: { requests: 12, perSeconds: 60 },
  message(events: WebhookEvent[]) {
    const link = events.map(consoleLink).find(Boolean);
    const types = [...new Set(events.map((e) => e.type))];
    const headers: Record<string, string> = {
      title: headerValue(clip(`${types.length === 1 ? types[0] : `${events.length} events`} in ${events[0]!.tailnet}`, 200)),
      tags: headerValue(types.join(',')),
      ...(link ? { click: link } : {}),
    };
    let body = events.map((e) => `${e.type}: ${e.message}`).join('\n');
    while (Buffer.byteLength(body) > 4_000) body = clip(body, Math.floor(body.length * 0.9));
    return { body, contentType: 'text/plain; charset=utf-8', headers };
  },
};
