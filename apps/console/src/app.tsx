import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api, type ApiError, type Webhook } from './api';
import { CreateWebhook } from './create-webhook';
import { EventCatalogue } from './event-catalogue';
import { Problem } from './problem';
import { SecretOnce } from './secret-once';
import { SignIn } from './sign-in';
import { WebhookDetail } from './webhook-detail';
import { WebhookList } from './webhook-list';

type View = { kind: 'list' } | { kind: 'create' } | { kind: 'catalogue' } | { kind: 'detail'; id: string };

const STORAGE_KEY = 'tidings.console.token';

/** The token: a portal session handed over in the URL's fragment (removed at once), else the one stored for this tab. */
export function initialToken(): string | null {
  const fragment = new URLSearchParams(location.hash.slice(1)).get('session');
  if (fragment) {
    sessionStorage.setItem(STORAGE_KEY, fragment);
    history.replaceState(null, '', location.pathname + location.search);
    return fragment;
  }
  return sessionStorage.getItem(STORAGE_KEY);
}

export function App() {
  const [token, setToken] = useState(initialToken);
  const [view, setView] = useState<View>({ kind: 'list' });
  const [webhooks, setWebhooks] = useState<Webhook[] | undefined>();
  const [revealed, setRevealed] = useState<Webhook | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const api = useMemo(() => (token ? new Api(token) : undefined), [token]);

  const reload = () =>
    api?.listWebhooks().then(
      (r) => (setWebhooks(r.webhooks), setError(undefined)),
      (e: ApiError) => (e.status === 401 ? signOut() : setError(e)),
    );
  useEffect(() => void reload(), [api]);

  const signOut = () => {
    sessionStorage.removeItem(STORAGE_KEY);
    setToken(null);
    setWebhooks(undefined);
  };
  if (!api) return <SignIn onToken={(t) => (sessionStorage.setItem(STORAGE_KEY, t), setToken(t))} />;

  const replace = (w: Webhook) => setWebhooks((list) => (list ?? []).map((x) => (x.endpointId === w.endpointId ? w : x)));
  const current = view.kind === 'detail' ? webhooks?.find((w) => w.endpointId === view.id) : undefined;
  return (
    <>
      <header class="bar">
        <strong>Tidings</strong>
        <nav aria-label="Console" class="bar">
          <button type="button" class="link" onClick={() => setView({ kind: 'list' })}>
            Webhooks
          </button>
          <button type="button" class="link" onClick={() => setView({ kind: 'catalogue' })}>
            Event catalogue
          </button>
          <button type="button" class="secondary" onClick={signOut}>
            Sign out
          </button>
        </nav>
      </header>
      <main>
        <Problem error={error} />
        {revealed ? <SecretOnce webhook={revealed} onDone={() => setRevealed(undefined)} /> : null}
        {view.kind === 'catalogue' ? (
          <EventCatalogue onBack={() => setView({ kind: 'list' })} />
        ) : view.kind === 'create' ? (
          <CreateWebhook
            api={api}
            onCancel={() => setView({ kind: 'list' })}
            onCreated={(w) => {
              setRevealed(w);
              setWebhooks((list) => [...(list ?? []), w]);
              setView({ kind: 'detail', id: w.endpointId });
            }}
          />
        ) : current ? (
          <WebhookDetail
            key={current.endpointId}
            api={api}
            webhook={current}
            onChanged={replace}
            onRotated={(w) => (replace(w), setRevealed(w))}
            onDeleted={() => (setView({ kind: 'list' }), void reload())}
            onBack={() => (setView({ kind: 'list' }), void reload())}
          />
        ) : webhooks ? (
          <WebhookList webhooks={webhooks} onOpen={(id) => setView({ kind: 'detail', id })} onCreate={() => setView({ kind: 'create' })} />
        ) : (
          <p>Loading…</p>
        )}
      </main>
    </>
  );
}
