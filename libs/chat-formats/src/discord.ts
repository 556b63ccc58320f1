import type { WebhookEvent } from '@tidings/contracts';
import { clip, consoleLink, escapeMarkdown, json, type ChatFormat } from './chat-message';

/**
 * Discord webhooks: `content` naming the tailnet and one embed per event (10 at most, Discord's
 * cap), its console link as the embed's url. `allowed_mentions` with no parse kinds: `@here`
 * and `<@id>` mention no one; markdown is escaped with backslashes, which Discord honours.
 */
export const discord: ChatFormat = {
  maxEvents: 10,
  // Discord: bursts of 5 per webhook, and 30 a minute to a channel.
  rateLimit: { requests: 5, perSeconds: 10 },
  message(events: WebhookEvent[]) {
    const embeds = events.map((event) => {
      const link = consoleLink(event);
      return {
        // Ten embeds must stay within Discord's 6,000 characters for all of them together.
        title: clip(escapeMarkdown(event.type), 100),
        description: clip(escapeMarkdown(event.message), 450),
        timestamp: event.timestamp,
        ...(link ? { url: link } : {}),
      };
    });
    const content = clip(`${events.length === 1 ? 'An event' : `${events.length} events`} in tailnet ${escapeMarkdown(events[0]!.tailnet)}`, 2_000);
    return json({ content, embeds, allowed_mentions: { parse: [] } });
  },
};
