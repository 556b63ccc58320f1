import type { ApiError } from './api';

/** What the API refused, and each field it named. */
export function Problem({ error }: { error: ApiError | undefined }) {
  if (!error) return null;
  return (
    <div class="problem" role="alert">
      <p>{error.message}</p>
      {error.fields.length > 0 ? (
        <ul>
          {error.fields.map((f) => (
            <li key={f.field}>
              <code>{f.field}</code>: {f.problem}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
