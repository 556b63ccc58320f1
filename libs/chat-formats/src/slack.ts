import type { WebhookEvent } from '@tidings/contracts';
import { clip, consoleLink, json, type ChatFormat } from './chat-message';

/** Slack's own escaping (&, <, >): `<!here>` and `<http://x|y>` stay text. */
export function escapeSlack(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
}

/**
 * Slack incoming webhooks: `text` (the notification, with `mrkdwn` off so `*` and `_` show as
 * typed) and Block Kit `blocks`: per event a plain_text section (formats and mentions nothing)
 * and a button to the console link. Two blocks an event and a context block stay under 50.
 */
export const slack: ChatFormat = {
  maxEvents: 20,
  // Slack: about one message a second per incoming webhook.
  rateLimit: { requests: 1, perSeconds: 1 },
  message(events: WebhookEvent[]) {
    const blocks: unknown[] = [{ type: 'context', elements: [{ type: 'plain_text', text: clip(`Tailnet ${events[0]!.tailnet}`, 2_000) }] }];
    for (const event of events) {
      blocks.push({ type: 'section', text: { type: 'plain_text', text: clip(`${event.type}: ${event.message}`, 3_000), emoji: false } });
      const link = consoleLink(event);
      if (link) blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in the admin console' }, url: clip(link, 3_000) }] });
    }
    const text = events.map((e) => `${e.type} in ${e.tailnet}: ${e.message}`).join('\n');
    return json({ text: clip(escapeSlack(text), 3_000), mrkdwn: false, blocks });
  },
};
