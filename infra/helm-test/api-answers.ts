import { argument, runCheck } from './helm-check';

/**
 * helm test: the management API answers through its Service. `GET /api/v2/openapi.json`
 * needs no key and no data, and only a running API with its routes serves it.
 *
 *   node dist/infra/helm-test/api-answers.js http://<release>-tidings-subscriptions:8080
 */
const base = argument(1, 'API base URL');

runCheck(`GET ${base}/api/v2/openapi.json`, async () => {
  const res = await fetch(new URL('/api/v2/openapi.json', base), { signal: AbortSignal.timeout(5_000) });
  if (res.status !== 200) throw new Error(`status ${res.status}, expected 200`);
  const document = (await res.json()) as { openapi?: string };
  if (typeof document.openapi !== 'string') throw new Error('the answer is not an OpenAPI document');
  return `200, OpenAPI ${document.openapi}`;
});
