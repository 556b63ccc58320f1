import { request } from 'node:http';
import { argument, runCheck } from './helm-check';

/** Reason code 1000 (blockedAddress): refused before dialling. */
const BLOCKED_ADDRESS = '1000';

/**
 * helm test: the egress proxy refuses a private address. The request is a proxy request
 * (absolute form) to the egress Service; the egress checks the address before it dials, so
 * nothing is sent to the target (10.0.0.1 unless the chart's tests.egressRefusedUrl says
 * otherwise, e.g. when egress.allowCidrs covers it).
 *
 *   node dist/infra/helm-test/egress-refuses.js http://<release>-tidings-egress:9090 [http://10.0.0.1/]
 */
const proxy = new URL(argument(1, 'egress proxy URL'));
const TARGET = argument(2, 'refused URL', 'http://10.0.0.1/');

function proxied(): Promise<{ status: number; reasonCode: string | undefined; reason: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: proxy.hostname, port: proxy.port || 80, method: 'GET', path: TARGET, headers: { host: new URL(TARGET).host }, timeout: 5_000 }, (res) => {
      res.resume();
      const header = (name: string) => [res.headers[name]].flat()[0];
      resolve({ status: res.statusCode ?? 0, reasonCode: header('x-tidings-reason-code'), reason: header('x-tidings-reason') });
    });
    req.once('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.once('error', reject);
    req.end();
  });
}

runCheck(`GET ${TARGET} through ${proxy.origin}`, async () => {
  const { status, reasonCode, reason } = await proxied();
  if (status !== 403 || reasonCode !== BLOCKED_ADDRESS) throw new Error(`status ${status}, X-Tidings-Reason-Code ${reasonCode ?? '(none)'}; expected 403 and ${BLOCKED_ADDRESS}`);
  return `403, X-Tidings-Reason-Code ${reasonCode} (${reason ?? ''})`;
});
