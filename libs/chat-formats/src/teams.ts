import type { WebhookEvent } from '@tidings/contracts';
import { clip, consoleLink, json, type ChatFormat } from './chat-message';

/**
 * Microsoft Teams (a Workflows "post to a channel when a webhook request is received" flow): a
 * message with one Adaptive Card. Customer text goes in TextRuns, which Adaptive Cards never
 * parse as markdown; console links are OpenUrl actions.
 */
export const teams: ChatFormat = {
  maxEvents: 10,
  // Teams: a few requests a second per webhook.
  rateLimit: { requests: 2, perSeconds: 1 },
  message(events: WebhookEvent[]) {
    const body: unknown[] = [{ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: clip(`Tailnet ${events[0]!.tailnet}`, 1_000), weight: 'Bolder' }] }];
    const actions: unknown[] = [];
    for (const event of events) {
      body.push({ type: 'RichTextBlock', separator: true, inlines: [{ type: 'TextRun', text: `${event.type}: `, weight: 'Bolder' }, { type: 'TextRun', text: clip(event.message, 2_000) }] });
      const link = consoleLink(event);
      if (link && actions.length < 5) actions.push({ type: 'Action.OpenUrl', title: clip(`Open ${event.type}`, 100), url: link });
    }
    const content = { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body, ...(actions.length > 0 ? { actions } : {}) };
    return json({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }] });
  },
};
