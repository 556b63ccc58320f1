import type { Webhook } from './api';

/** A new secret, shown once: both forms, each with a copy button, and the warning. */
export function SecretOnce({ webhook, onDone }: { webhook: Webhook; onDone: () => void }) {
  return (
    <section class="notice" role="alert" aria-labelledby="secret-title">
      <h2 id="secret-title">Copy the secret now</h2>
      <p>It is shown only this once. Tidings keeps it sealed and can never show it again; rotate to get a new one.</p>
      {[
        ['Signing secret (Tailscale-Webhook-Signature)', webhook.secret, 'secret'],
        ['Standard Webhooks secret (webhook-signature)', webhook.standardWebhooksSecret, 'whsec'],
      ].map(([label, value, id]) => (
        <div class="secret" key={id}>
          <label for={`secret-${id}`}>{label}</label>
          <input id={`secret-${id}`} readOnly value={value} />
          <button type="button" onClick={() => void navigator.clipboard?.writeText(value ?? '')}>
            Copy
          </button>
        </div>
      ))}
      <button type="button" onClick={onDone}>
        I have copied it
      </button>
    </section>
  );
}
