import type { WebhookEvent } from '@tidings/contracts';
import { clip, consoleLink, defuseMentions, escapeMarkdown, json, type ChatFormat } from './chat-message';

/**
 * Mattermost incoming webhooks: markdown `text`, a line per event with its console link.
 * Customer text is backslash-escaped and its `@` defused (Mattermost has no allowed_mentions).
 */
export const mattermost: ChatFormat = {
  maxEvents: 20,
  message(events: WebhookEvent[]) {
    const safe = (t: string) => defuseMentions(escapeMarkdown(t));
    const lines = events.map((event) => {
      const link = consoleLink(event);
      return `**${safe(event.type)}**: ${safe(event.message)}${link ? ` ([admin console](${link}))` : ''}`;
    });
    return json({ text: clip([`Tailnet ${safe(events[0]!.tailnet)}`, ...lines].join('\n'), 16_000) });
  },
};
