import { useState } from 'preact/hooks';

/** An API key or a portal session's token; kept in session storage, never in a URL. */
export function SignIn({ onToken }: { onToken: (token: string) => void }) {
  const [token, setToken] = useState('');
  return (
    <main class="narrow">
      <h1>Tidings console</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim()) onToken(token.trim());
        }}
      >
        <label for="token">API key or portal session token</label>
        <input id="token" type="password" autocomplete="off" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
