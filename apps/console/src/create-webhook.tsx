import { useState } from 'preact/hooks';
import { ApiError, type Api, type Webhook } from './api';
import { PROVIDERS } from './catalogue';
import { Problem } from './problem';
import { SubscriptionPicker } from './subscription-picker';

/** Add an endpoint: URL, destination, events; the answer carries the secret, shown once. */
export function CreateWebhook({ api, onCreated, onCancel }: { api: Api; onCreated: (w: Webhook) => void; onCancel: () => void }) {
  const [endpointUrl, setUrl] = useState('');
  const [providerType, setProvider] = useState('');
  const [subscriptions, setSubscriptions] = useState<string[]>([]);
  const [error, setError] = useState<ApiError | undefined>();
  const [busy, setBusy] = useState(false);
  return (
    <section aria-labelledby="create-title">
      <h2 id="create-title">Add endpoint</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          api
            .createWebhook({ endpointUrl, providerType, subscriptions })
            .then(onCreated, (err: unknown) => setError(err instanceof ApiError ? err : new ApiError(0, String(err))))
            .finally(() => setBusy(false));
        }}
      >
        <label for="endpoint-url">Endpoint URL</label>
        <input id="endpoint-url" type="url" required placeholder="https://" value={endpointUrl} onInput={(e) => setUrl((e.target as HTMLInputElement).value)} />
        <label for="provider">Destination</label>
        <select id="provider" value={providerType} onChange={(e) => setProvider((e.target as HTMLSelectElement).value)}>
          {PROVIDERS.map((p) => (
            <option key={p.value} value={p.value}>
              {p.label}
            </option>
          ))}
        </select>
        <SubscriptionPicker value={subscriptions} onChange={setSubscriptions} />
        <Problem error={error} />
        <div class="bar">
          <button type="submit" disabled={busy}>
            Add endpoint
          </button>
          <button type="button" class="secondary" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
