import { useEffect, useState } from 'preact/hooks';
import type { Api, Delivery } from './api';

/** One batch: every attempt, the headers its first request carried, and its events as sent. */
export function DeliveryDetail({ api, endpointId, batchId, onClose }: { api: Api; endpointId: string; batchId: string; onClose: () => void }) {
  const [delivery, setDelivery] = useState<Delivery | undefined>();
  const [error, setError] = useState('');
  useEffect(() => {
    api.delivery(endpointId, batchId).then(setDelivery, (e: Error) => setError(e.message));
  }, [api, endpointId, batchId]);
  return (
    <section aria-labelledby="batch-title" class="panel">
      <div class="bar">
        <h4 id="batch-title">
          Batch <code>{batchId}</code>
        </h4>
        <button type="button" class="secondary" onClick={onClose}>
          Close batch
        </button>
      </div>
      {error ? <p class="problem">{error}</p> : !delivery ? <p>Loading…</p> : <BatchBody delivery={delivery} />}
    </section>
  );
}

function BatchBody({ delivery }: { delivery: Delivery }) {
  const request = delivery.request;
  return (
    <>
      <ol class="attempts">
        {delivery.attempts.map((a) => (
          <li key={`${a.attempt}-${a.attemptedAt}`}>
            attempt {a.attempt} at {new Date(a.attemptedAt).toLocaleString()}: {a.outcome}, {a.status ?? 'no answer'} in {Math.round(a.latencyMs)} ms
            {a.reason ? <span class="reason"> ({a.reason})</span> : null}
          </li>
        ))}
      </ol>
      {!request ? (
        <p class="hint">What this batch sent was not recorded.</p>
      ) : (
        <>
          <h5>Headers</h5>
          {Object.keys(request.headers).length === 0 ? (
            <p class="hint">None: it was dead-lettered before it was sent.</p>
          ) : (
            <dl class="headers">
              {Object.entries(request.headers).map(([name, value]) => (
                <div key={name}>
                  <dt>{name}</dt>
                  <dd>
                    <code>{value}</code>
                  </dd>
                </div>
              ))}
            </dl>
          )}
          <h5>Events</h5>
          {request.events.map((e) => (
            <article key={e.id} class="event">
              <p>
                <code>{e.type}</code> {e.message}
              </p>
              <pre>{JSON.stringify(e, null, 2)}</pre>
            </article>
          ))}
        </>
      )}
    </>
  );
}
