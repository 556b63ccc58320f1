import type { Webhook } from './api';

/** Every webhook of the tailnet, with its status and why it is disabled. */
export function WebhookList({ webhooks, onOpen, onCreate }: { webhooks: Webhook[]; onOpen: (id: string) => void; onCreate: () => void }) {
  return (
    <section aria-labelledby="list-title">
      <div class="bar">
        <h2 id="list-title">Webhooks</h2>
        <button type="button" onClick={onCreate}>
          Add endpoint
        </button>
      </div>
      {webhooks.length === 0 ? (
        <p>No webhooks yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Endpoint</th>
              <th scope="col">Destination</th>
              <th scope="col">Status</th>
              <th scope="col">Subscriptions</th>
            </tr>
          </thead>
          <tbody>
            {webhooks.map((w) => (
              <tr key={w.endpointId}>
                <td>
                  <button type="button" class="link" onClick={() => onOpen(w.endpointId)}>
                    {w.endpointUrl}
                  </button>
                </td>
                <td>{w.providerType || 'native'}</td>
                <td>
                  <span class={`status ${w.status}`}>{w.status}</span>
                  {w.disabledReason ? <span class="reason"> ({w.disabledReason})</span> : null}
                </td>
                <td>{w.subscriptions.join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
