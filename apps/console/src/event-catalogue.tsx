import { exampleEvent } from '@tidings/contracts/browser';
import { CATEGORIES } from './catalogue';

/** Every event type, grouped by category, each with the body a webhook receives for it. */
export function EventCatalogue({ onBack }: { onBack: () => void }) {
  return (
    <section aria-labelledby="catalogue-title">
      <button type="button" class="link" onClick={onBack}>
        ← All webhooks
      </button>
      <h2 id="catalogue-title">Event catalogue</h2>
      <p class="hint">
        A webhook receives a JSON array of these events, signed. Subscribing to a category includes the types added to it later. <code>test</code> is sent on
        request and needs no subscription.
      </p>
      {[...CATEGORIES, { category: 'On request', types: ['test'] }].map(({ category, types }) => (
        <section key={category} aria-labelledby={`cat-${category}`}>
          <h3 id={`cat-${category}`}>{category}</h3>
          {types.map((type) => (
            <details key={type} id={`type-${type}`}>
              <summary>
                <code>{type}</code> <span class="hint">{exampleEvent(type as 'test').message}</span>
              </summary>
              <pre>{JSON.stringify([exampleEvent(type as 'test')], null, 2)}</pre>
            </details>
          ))}
        </section>
      ))}
    </section>
  );
}
