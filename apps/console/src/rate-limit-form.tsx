import { useState } from 'preact/hooks';
import type { Webhook } from './api';
import type { RateLimit } from '@tidings/contracts/browser';

/** The webhook's rate limit in force: set one of its own, or go back to its provider's default. */
export function RateLimitForm({ webhook, onSave }: { webhook: Webhook; onSave: (rateLimit: RateLimit | null) => void }) {
  const [requests, setRequests] = useState(webhook.rateLimit?.requests ?? 10);
  const [perSeconds, setPerSeconds] = useState(webhook.rateLimit?.perSeconds ?? 1);
  const inForce = webhook.rateLimit ? `${webhook.rateLimit.requests} requests per ${webhook.rateLimit.perSeconds} s` : 'none';
  const number = (set: (n: number) => void) => (e: Event) => set(Number((e.target as HTMLInputElement).value));
  return (
    <form
      class="bar"
      aria-labelledby="rate-title"
      onSubmit={(e) => {
        e.preventDefault();
        onSave({ requests, perSeconds });
      }}
    >
      <span id="rate-title">Rate limit in force: {inForce}</span>
      <label for="rate-requests">Requests</label>
      <input id="rate-requests" type="number" min={1} max={10000} value={requests} onInput={number(setRequests)} />
      <label for="rate-seconds">per seconds</label>
      <input id="rate-seconds" type="number" min={1} max={86400} value={perSeconds} onInput={number(setPerSeconds)} />
      <button type="submit">Save rate limit</button>
      <button type="button" class="secondary" onClick={() => onSave(null)}>
        Use the provider default
      </button>
    </form>
  );
}
