import { useState } from 'preact/hooks';
import { ApiError, type Api, type Webhook } from './api';
import { Deliveries } from './deliveries';
import { Problem } from './problem';
import { RateLimitForm } from './rate-limit-form';
import { SubscriptionPicker } from './subscription-picker';

/** One webhook: test, edit its events, rotate, disable or enable, delete; and its deliveries. */
export function WebhookDetail({ api, webhook, onChanged, onRotated, onDeleted, onBack }: { api: Api; webhook: Webhook; onChanged: (w: Webhook) => void; onRotated: (w: Webhook) => void; onDeleted: () => void; onBack: () => void }) {
  const [subscriptions, setSubscriptions] = useState(webhook.subscriptions);
  const [grace, setGrace] = useState(3600);
  const [redeliver, setRedeliver] = useState(true);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const [note, setNote] = useState('');
  /** A click's work; what the API refuses shows as a problem. */
  const act = (work: () => Promise<void>) => () => {
    setError(undefined);
    work().catch((err: unknown) => setError(err instanceof ApiError ? err : new ApiError(0, String(err))));
  };
  const id = webhook.endpointId;
  return (
    <section aria-labelledby="detail-title">
      <button type="button" class="link" onClick={onBack}>
        ← All webhooks
      </button>
      <h2 id="detail-title">{webhook.endpointUrl}</h2>
      <p>
        <span class={`status ${webhook.status}`}>{webhook.status}</span>
        {webhook.disabledReason ? <span class="reason"> ({webhook.disabledReason})</span> : null} · destination {webhook.providerType || 'native'} · created by {webhook.creatorLoginName}
      </p>
      <p class="hint" aria-live="polite">
        {note}
      </p>
      <Problem error={error} />
      <div class="bar">
        <button type="button" onClick={act(async () => setNote(`Test event ${(await api.testWebhook(id)).eventId} sent.`))}>
          Send test event
        </button>
        {webhook.status === 'disabled' ? (
          <>
            <label>
              <input type="checkbox" checked={redeliver} onChange={(e) => setRedeliver((e.target as HTMLInputElement).checked)} /> redeliver what was dead-lettered
            </label>
            <button type="button" onClick={act(async () => onChanged(await api.enable(id, redeliver)))}>
              Enable
            </button>
          </>
        ) : (
          <button type="button" class="secondary" onClick={act(async () => onChanged(await api.disable(id, 'disabled in the console')))}>
            Disable
          </button>
        )}
        {confirmDelete ? (
          <button type="button" class="danger" onClick={act(async () => (await api.deleteWebhook(id), onDeleted()))}>
            Confirm delete
          </button>
        ) : (
          <button type="button" class="danger" onClick={() => setConfirmDelete(true)}>
            Delete
          </button>
        )}
      </div>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          act(async () => (onChanged(await api.updateWebhook(id, { subscriptions })), setNote('Subscriptions saved.')))();
        }}
      >
        <SubscriptionPicker value={subscriptions} onChange={setSubscriptions} />
        <button type="submit">Save subscriptions</button>
      </form>
      <RateLimitForm webhook={webhook} onSave={(rateLimit) => act(async () => (onChanged(await api.updateWebhook(id, { rateLimit })), setNote('Rate limit saved.')))()} />
      <form
        class="bar"
        onSubmit={(e) => {
          e.preventDefault();
          act(async () => onRotated(await api.rotateSecret(id, grace)))();
        }}
      >
        <label for="grace">Old secret keeps signing for (seconds)</label>
        <input id="grace" type="number" min={0} max={604800} value={grace} onInput={(e) => setGrace(Number((e.target as HTMLInputElement).value))} />
        <button type="submit">Rotate secret</button>
      </form>
      <Deliveries api={api} endpointId={id} canReplay={webhook.status !== 'disabled'} />
    </section>
  );
}
