import { EVENT_CATEGORIES, PROVIDER_TYPES } from '@tidings/contracts/browser';

/** What a webhook can subscribe to, grouped as the API knows it (a category includes types added later). */
export const CATEGORIES = Object.entries(EVENT_CATEGORIES).map(([category, types]) => ({ category, types: [...types] as string[] }));

export const PROVIDERS: { value: string; label: string }[] = PROVIDER_TYPES.map((p) => ({
  value: p,
  label: p === '' ? 'Native JSON (or detected from the URL)' : ({ slack: 'Slack', discord: 'Discord', mattermost: 'Mattermost', googlechat: 'Google Chat', teams: 'Microsoft Teams', ntfy: 'ntfy' } as Record<string, string>)[p] ?? p,
}));
