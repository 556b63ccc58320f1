import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { serviceEntrypoint, type ServiceName } from '@tidings/testing';

/** Each service, started with a broken environment, stops at boot naming the variable and rule. */
function boot(name: ServiceName, env: Record<string, string>) {
  const result = spawnSync(process.execPath, [serviceEntrypoint(name)], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stderr: result.stderr };
}

describe('configuration is validated at boot', () => {
  it('egress: a bad CIDR and a bad port list stop it with status 78', () => {
    const { status, stderr } = boot('egress', { EGRESS_ALLOW_CIDRS: '10.0.0.0/40', EGRESS_ALLOWED_PORTS: '443,http' });
    assert.equal(status, 78);
    assert.match(stderr, /EGRESS_ALLOW_CIDRS: must be a comma-separated list of CIDRs/);
    assert.match(stderr, /EGRESS_ALLOWED_PORTS: must be a comma-separated list of TCP ports/);
  });

  it('subscriptions: missing DATABASE_URL and SECRETS_ENCRYPTION_KEYS are named', () => {
    const { status, stderr } = boot('subscriptions', {});
    assert.equal(status, 78);
    assert.match(stderr, /DATABASE_URL: is required but not set/);
    assert.match(stderr, /SECRETS_ENCRYPTION_KEYS: is required but not set/);
  });

  it('publisher: a short encryption key and a non-http proxy URL are refused', () => {
    const { status, stderr } = boot('publisher', { SECRETS_ENCRYPTION_KEYS: 'k1:c2hvcnQ=', EGRESS_PROXY_URL: 'https://proxy:9090' });
    assert.equal(status, 78);
    assert.match(stderr, /SECRETS_ENCRYPTION_KEYS: .*32 bytes/);
    assert.match(stderr, /EGRESS_PROXY_URL: must be a URL with scheme http/);
  });

  it('trigger: a malformed broker list is refused', () => {
    const { status, stderr } = boot('trigger', { KAFKA_BROKERS: 'localhost' });
    assert.equal(status, 78);
    assert.match(stderr, /KAFKA_BROKERS: must be a comma-separated list of host:port/);
  });
});
