import { useEffect, useState } from 'preact/hooks';
import type { Api, Delivery } from './api';
import { DeliveryDetail } from './delivery-detail';

const REFRESH_MS = 3_000;

/** The webhook's batches, newest first, refreshed while open; a dead letter can be replayed. */
export function Deliveries({ api, endpointId, canReplay }: { api: Api; endpointId: string; canReplay: boolean }) {
  const [deliveries, setDeliveries] = useState<Delivery[] | undefined>();
  const [note, setNote] = useState('');
  const [open, setOpen] = useState<string | undefined>();
  useEffect(() => {
    let stopped = false;
    const load = () =>
      api.deliveries(endpointId).then(
        (d) => !stopped && setDeliveries(d.deliveries),
        () => undefined,
      );
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [api, endpointId]);
  if (!deliveries) return <p>Loading deliveries…</p>;
  return (
    <section aria-labelledby="deliveries-title">
      <h3 id="deliveries-title">Deliveries</h3>
      <p class="hint" aria-live="polite">
        {note}
      </p>
      {deliveries.length === 0 ? (
        <p>No deliveries yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Batch</th>
              <th scope="col">State</th>
              <th scope="col">Events</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last answer</th>
              <th scope="col" />
            </tr>
          </thead>
          <tbody>
            {deliveries.map((d) => {
              const last = d.attempts.at(-1);
              return (
                <tr key={d.batchId} data-batch={d.batchId}>
                  <td>
                    <button type="button" class="link" aria-label={`Show batch ${d.batchId}`} onClick={() => setOpen(d.batchId)}>
                      <code>{d.batchId}</code>
                    </button>
                  </td>
                  <td>
                    <span class={`status ${d.state}`}>{d.state}</span>
                  </td>
                  <td>{d.eventIds.length}</td>
                  <td>{d.attempts.length}</td>
                  <td>
                    {last ? `${last.status ?? '—'} in ${Math.round(last.latencyMs)} ms` : '—'}
                    {d.deadLetter ? <div class="reason">{d.deadLetter.reason}</div> : last?.reason ? <div class="reason">{last.reason}</div> : null}
                  </td>
                  <td>
                    {d.deadLetter && canReplay ? (
                      <button
                        type="button"
                        onClick={() =>
                          void api.replay(endpointId, d.batchId).then(
                            () => setNote(`Batch ${d.batchId} is on its way again.`),
                            (e: Error) => setNote(e.message),
                          )
                        }
                      >
                        Replay
                      </button>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {open ? <DeliveryDetail key={open} api={api} endpointId={endpointId} batchId={open} onClose={() => setOpen(undefined)} /> : null}
    </section>
  );
}
