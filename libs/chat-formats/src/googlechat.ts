import type { WebhookEvent } from '@tidings/contracts';
import { clip, consoleLink, escapeHtml, json, type ChatFormat } from './chat-message';

/**
 * Google Chat incoming webhooks: a `cardsV2` card with a section per event. Card text takes a
 * little HTML, so customer text is HTML-escaped (no `<users/all>` mention, no tags); the
 * console link is a button.
 */
export const googlechat: ChatFormat = {
  maxEvents: 10,
  // Google Chat: 60 messages a minute per space.
  rateLimit: { requests: 1, perSeconds: 1 },
  message(events: WebhookEvent[]) {
    const sections = events.map((event) => {
      const link = consoleLink(event);
      const widgets: unknown[] = [{ textParagraph: { text: clip(escapeHtml(event.message), 4_000) } }];
      if (link) widgets.push({ buttonList: { buttons: [{ text: 'Open in the admin console', onClick: { openLink: { url: link } } }] } });
      return { header: clip(escapeHtml(event.type), 200), widgets };
    });
    const card = { header: { title: 'Tidings', subtitle: clip(escapeHtml(`Tailnet ${events[0]!.tailnet}`), 200) }, sections };
    return json({ cardsV2: [{ cardId: `tidings-${events[0]!.id}`.slice(0, 64), card }] });
  },
};
