// No imports: the console bundles this file, and zod would triple its size.

/**
 * Where an endpoint's messages go, and so the body format (PRODUCT.md, Chat destinations): `""` is
 * the native JSON array; Slack, Discord, Mattermost and Google Chat as Tailscale has them; Teams
 * and ntfy are ours.
 */
export const PROVIDER_TYPES = ['', 'slack', 'discord', 'mattermost', 'googlechat', 'teams', 'ntfy'] as const;
