import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePort } from './free-port';
import { startService } from './service-process';

describe('startService', () => {
  it('refuses a health answer from another process on the port it was given', async () => {
    // Another process got the port first, and answers /health as a service would.
    const squatter = createServer((_req, res) => res.end('ok'));
    const logDir = mkdtempSync(join(tmpdir(), 'squatted-'));
    const adminPort = await freePort();
    squatter.listen(adminPort, '0.0.0.0');
    await once(squatter, 'listening');
    try {
      const started = startService('egress', { EGRESS_PORT: String(await freePort()), EGRESS_ADMIN_PORT: String(adminPort), EGRESS_ALLOWED_PORTS: '443' }, {
        healthUrl: `http://127.0.0.1:${adminPort}/health`,
        logDir,
      });
      const outcome = await started.then(
        async (service) => {
          await service.kill();
          return 'started, taking the other process for itself';
        },
        (error: Error) => error.message,
      );
      assert.match(outcome, /egress exited with 1/);
    } finally {
      squatter.close();
      rmSync(logDir, { recursive: true, force: true });
    }
  });
});
