import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { providerInForce, type WebhookEvent } from '@tidings/contracts';
import { chatFormat, chatRequests } from './index';

const NASTY = 'lap<b>*top*</b> @here <!channel> [x](http://x) ](http://x)';
const event = (n: number, device = 'laptop'): WebhookEvent => ({
  id: `ev${n}`,
  timestamp: '2026-11-29T12:00:00Z',
  version: 1,
  type: 'nodeNeedsApproval',
  tailnet: 'example.com',
  message: `Node ${device} (n${n}) needs approval`,
  data: { nodeID: `n${n}`, deviceName: device, url: `https://login.tailscale.com/admin/machines/n${n}` },
});

describe('chat formats: one event, exactly as each provider documents it', () => {
  it('slack: plain-text blocks, a console button, and mrkdwn off for the notification text', () => {
    const [request] = chatRequests(chatFormat('slack')!, [event(1)]);
    assert.equal(request!.contentType, 'application/json');
    assert.deepEqual(JSON.parse(request!.body), {
      text: 'nodeNeedsApproval in example.com: Node laptop (n1) needs approval',
      mrkdwn: false,
      blocks: [
        { type: 'context', elements: [{ type: 'plain_text', text: 'Tailnet example.com' }] },
        { type: 'section', text: { type: 'plain_text', text: 'nodeNeedsApproval: Node laptop (n1) needs approval', emoji: false } },
        { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in the admin console' }, url: 'https://login.tailscale.com/admin/machines/n1' }] },
      ],
    });
  });

  it('discord: content naming the tailnet, an embed linking the console, no mentions allowed', () => {
    const [request] = chatRequests(chatFormat('discord')!, [event(1)]);
    assert.deepEqual(JSON.parse(request!.body), {
      content: 'An event in tailnet example\\.com',
      embeds: [{ title: 'nodeNeedsApproval', description: 'Node laptop \\(n1\\) needs approval', timestamp: '2026-11-29T12:00:00Z', url: 'https://login.tailscale.com/admin/machines/n1' }],
      allowed_mentions: { parse: [] },
    });
  });

  it('mattermost: markdown text, a line per event with its console link', () => {
    const [request] = chatRequests(chatFormat('mattermost')!, [event(1)]);
    assert.equal(request!.contentType, 'application/json');
    assert.deepEqual(JSON.parse(request!.body), {
      text: 'Tailnet example\\.com\n**nodeNeedsApproval**: Node laptop \\(n1\\) needs approval ([admin console](https://login.tailscale.com/admin/machines/n1))',
    });
  });

  it('google chat: a cardsV2 card, a section per event with a console button', () => {
    const [request] = chatRequests(chatFormat('googlechat')!, [event(1)]);
    assert.deepEqual(JSON.parse(request!.body), {
      cardsV2: [
        {
          cardId: 'tidings-ev1',
          card: {
            header: { title: 'Tidings', subtitle: 'Tailnet example.com' },
            sections: [
              {
                header: 'nodeNeedsApproval',
                widgets: [
                  { textParagraph: { text: 'Node laptop (n1) needs approval' } },
                  { buttonList: { buttons: [{ text: 'Open in the admin console', onClick: { openLink: { url: 'https://login.tailscale.com/admin/machines/n1' } } }] } },
                ],
              },
            ],
          },
        },
      ],
    });
  });

  it('teams: a message with one Adaptive Card, text in TextRuns, the console link an OpenUrl action', () => {
    const [request] = chatRequests(chatFormat('teams')!, [event(1)]);
    assert.deepEqual(JSON.parse(request!.body), {
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            body: [
              { type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: 'Tailnet example.com', weight: 'Bolder' }] },
              { type: 'RichTextBlock', separator: true, inlines: [{ type: 'TextRun', text: 'nodeNeedsApproval: ', weight: 'Bolder' }, { type: 'TextRun', text: 'Node laptop (n1) needs approval' }] },
            ],
            actions: [{ type: 'Action.OpenUrl', title: 'Open nodeNeedsApproval', url: 'https://login.tailscale.com/admin/machines/n1' }],
          },
        },
      ],
    });
  });

  it('mattermost, google chat, teams and ntfy carry the tailnet, the event and the console link', () => {
    for (const provider of ['mattermost', 'googlechat', 'teams', 'ntfy'] as const) {
      const [request] = chatRequests(chatFormat(provider)!, [event(1)]);
      const everything = `${request!.body} ${JSON.stringify(request!.headers)}`;
      for (const part of ['example', 'nodeNeedsApproval', 'https://login.tailscale.com/admin/machines/n1']) assert.ok(everything.includes(part), `${provider} lacks ${part}: ${everything}`);
    }
    const [ntfyRequest] = chatRequests(chatFormat('ntfy')!, [event(1)]);
    assert.deepEqual(ntfyRequest, {
      body: 'nodeNeedsApproval: Node laptop (n1) needs approval',
      contentType: 'text/plain; charset=utf-8',
      headers: { title: 'nodeNeedsApproval in example.com', tags: 'nodeNeedsApproval', click: 'https://login.tailscale.com/admin/machines/n1' },
    });
  });
});

describe('chat formats: what customers control stays inert', () => {
  it('slack escapes <, > and &, and keeps customer text out of mrkdwn', () => {
    const body = JSON.parse(chatRequests(chatFormat('slack')!, [event(1, NASTY)])[0]!.body);
    assert.ok(!body.text.includes('<!channel>') && body.text.includes('&lt;!channel&gt;'), body.text);
    assert.equal(body.mrkdwn, false);
    assert.ok(body.blocks.every((b: { text?: { type: string } }) => !b.text || b.text.type === 'plain_text'));
  });

  it('discord and mattermost escape markdown, so no link, bold or mention forms', () => {
    for (const provider of ['discord', 'mattermost'] as const) {
      const text = chatRequests(chatFormat(provider)!, [event(1, NASTY)])[0]!.body;
      assert.ok(!/[^\\]\]\(http:\/\/x/.test(text), `${provider}: a link forms in ${text}`);
      assert.ok(!/[^\\]\*top/.test(text), `${provider}: bold forms in ${text}`);
    }
    assert.ok(chatRequests(chatFormat('mattermost')!, [event(1, NASTY)])[0]!.body.includes('@\u200bhere'));
  });

  it('google chat escapes HTML; teams puts it in TextRuns (never markdown); ntfy sends plain text', () => {
    const chat = chatRequests(chatFormat('googlechat')!, [event(1, NASTY)])[0]!.body;
    assert.ok(chat.includes('lap&lt;b&gt;') && !chat.includes('<b>'), chat);
    const card = JSON.parse(chatRequests(chatFormat('teams')!, [event(1, NASTY)])[0]!.body).attachments[0].content;
    const texts = card.body.flatMap((b: { type: string; inlines: { type: string; text: string }[] }) => (b.type === 'RichTextBlock' ? b.inlines : [b]));
    assert.ok(texts.some((t: { type: string; text: string }) => t.type === 'TextRun' && t.text.includes(NASTY)));
    assert.ok(!card.body.some((b: { type: string }) => b.type === 'TextBlock'), 'no TextBlock: those parse markdown');
    const ntfy = chatRequests(chatFormat('ntfy')!, [event(1, NASTY)])[0]!;
    assert.equal(ntfy.headers.markdown, undefined);
    // Headers carry ASCII on one line: a tailnet with accents or a line break cannot split them.
    const odd = chatRequests(chatFormat('ntfy')!, [{ ...event(1), tailnet: 'zürich\r\nX-Evil: 1' }])[0]!;
    assert.equal(odd.headers.title, `=?UTF-8?B?${Buffer.from('nodeNeedsApproval in zürich  X-Evil: 1').toString('base64')}?=`);
  });
});

describe('chat formats: a batch', () => {
  it('becomes as few messages as the cap allows, in order', () => {
    const events = Array.from({ length: 25 }, (_, i) => event(i));
    const requests = chatRequests(chatFormat('discord')!, events);
    assert.deepEqual(requests.map((r) => JSON.parse(r.body).embeds.length), [10, 10, 5]);
    const order = requests.flatMap((r) => JSON.parse(r.body).embeds.map((e: { description: string }) => e.description));
    assert.deepEqual(order, events.map((e) => e.message.replace(/[().]/g, (c) => `\\${c}`)));
    assert.equal(chatRequests(chatFormat('slack')!, events).length, 2);
    assert.ok(JSON.parse(chatRequests(chatFormat('slack')!, events)[0]!.body).blocks.length <= 50);
  });

  it('native endpoints have no chat format', () => {
    assert.equal(chatFormat(''), undefined);
  });
});

describe('providerInForce', () => {
  it('takes the provider from a known host when none is asked for, and the one asked for over the host', () => {
    assert.equal(providerInForce('', 'https://hooks.slack.com/services/T0/B0/x'), 'slack');
    assert.equal(providerInForce('', 'https://discord.com/api/webhooks/1/x'), 'discord');
    assert.equal(providerInForce('', 'https://discordapp.com/api/webhooks/1/x'), 'discord');
    assert.equal(providerInForce('', 'https://chat.googleapis.com/v1/spaces/A/messages?key=k'), 'googlechat');
    assert.equal(providerInForce('', 'https://discord.com/channels/1'), '', 'not a webhook path');
    assert.equal(providerInForce('', 'https://example.com/hook'), '');
    assert.equal(providerInForce('mattermost', 'https://hooks.slack.com/services/T0/B0/x'), 'mattermost');
    assert.equal(providerInForce('ntfy', 'https://ntfy.sh/topic'), 'ntfy');
  });
});

describe('chat formats: provider size limits', () => {
  it('keeps ten Discord embeds within 6,000 characters and a Slack message within 50 blocks, whatever the text', () => {
    const long = Array.from({ length: 25 }, (_, i) => event(i, 'x'.repeat(5_000)));
    for (const request of chatRequests(chatFormat('discord')!, long)) {
      const { embeds } = JSON.parse(request.body) as { embeds: { title: string; description: string }[] };
      assert.ok(embeds.reduce((n, e) => n + e.title.length + e.description.length, 0) <= 6_000);
    }
    for (const request of chatRequests(chatFormat('slack')!, long)) assert.ok((JSON.parse(request.body) as { blocks: unknown[] }).blocks.length <= 50);
    for (const request of chatRequests(chatFormat('ntfy')!, long)) assert.ok(Buffer.byteLength(request.body) <= 4_096);
  });
});

describe('chat formats: notices and test events', () => {
  it('render for every provider, naming the tailnet and the event', () => {
    const notice: WebhookEvent = { id: 'n1', timestamp: '2026-11-29T12:00:00Z', version: 1, type: 'webhookDisabled', tailnet: 'example.com', message: 'Webhook disabled: the endpoint answered 410 Gone', data: { endpointId: 'ep1', actor: 'tidings' } };
    const test: WebhookEvent = { ...notice, id: 't1', type: 'test', message: 'This is a test event', data: { endpointId: 'ep1', actor: 'alice@example.com' } };
    for (const provider of ['slack', 'discord', 'mattermost', 'googlechat', 'teams', 'ntfy'] as const) {
      for (const e of [notice, test]) {
        const [request, ...more] = chatRequests(chatFormat(provider)!, [e]);
        assert.equal(more.length, 0);
        const everything = `${request!.body} ${JSON.stringify(request!.headers)}`;
        for (const part of ['example', e.type, e.message.split(':')[0]!]) assert.ok(everything.includes(part), `${provider} ${e.type} lacks ${part}: ${everything}`);
      }
    }
  });
});
