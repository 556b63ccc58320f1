import { z } from 'zod';
import { PROVIDER_TYPES } from './provider-type-names';

export { PROVIDER_TYPES };

export const providerTypeSchema = z.enum(PROVIDER_TYPES);

export type ProviderType = z.infer<typeof providerTypeSchema>;

/** Incoming-webhook hosts that select their provider when `providerType` is empty, as Tailscale's console does. */
const PROVIDER_BY_URL: { provider: ProviderType; matches: (url: URL) => boolean }[] = [
  { provider: 'slack', matches: (u) => u.hostname === 'hooks.slack.com' },
  { provider: 'discord', matches: (u) => ['discord.com', 'discordapp.com', 'ptb.discord.com', 'canary.discord.com'].includes(u.hostname) && u.pathname.startsWith('/api/webhooks/') },
  { provider: 'googlechat', matches: (u) => u.hostname === 'chat.googleapis.com' },
];

/** The provider in force: the one asked for, else the one the URL's host names, else native. */
export function providerInForce(providerType: string, endpointUrl: string): ProviderType {
  const asked = providerTypeSchema.safeParse(providerType);
  if (asked.success && asked.data !== '') return asked.data;
  let url: URL;
  try {
    url = new URL(endpointUrl);
  } catch {
    return '';
  }
  return PROVIDER_BY_URL.find((p) => p.matches(url))?.provider ?? '';
}
