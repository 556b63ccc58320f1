import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ConfigError } from './config-error';
import { rules } from './env-rules';
import { parseEnv } from './load-config';
import { loadKafkaConfig, loadSecretsConfig } from './shared-config';

function problems(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('parseEnv', () => {
  it('applies defaults and parses lists', () => {
    const kafka = loadKafkaConfig({}, 'test');
    assert.deepEqual(kafka.brokers, ['localhost:9092']);
    assert.equal(kafka.topics.domainEvents, 'tailnet.events');
    assert.equal(kafka.topics.domainEventsDlq, 'tailnet.events.dlq');
    const prefixed = loadKafkaConfig({ KAFKA_BROKERS: 'a:1, b:2', KAFKA_TOPIC_PREFIX: 'x.', DOMAIN_EVENTS_TOPIC: 'cp.events' }, 'test');
    assert.deepEqual(prefixed.brokers, ['a:1', 'b:2']);
    assert.equal(prefixed.topics.webhookEvents, 'x.tidings.webhook-events.v1');
    assert.equal(prefixed.topics.domainEvents, 'cp.events');
  });

  it('names every broken variable with its rule', () => {
    const found = problems(() => parseEnv({ PORT: rules.port(1), BROKERS: rules.hostPortList('x:1'), CIDRS: rules.cidrList() }, { PORT: '70000', BROKERS: 'nohost', CIDRS: '10.0.0.0/33' }));
    assert.deepEqual(found.map((p) => p.variable).sort(), ['BROKERS', 'CIDRS', 'PORT']);
    assert.match(found.find((p) => p.variable === 'PORT')!.rule, /TCP port/);
    assert.match(found.find((p) => p.variable === 'CIDRS')!.rule, /CIDRs/);
  });

  it("takes CSP frame-ancestors sources: 'none' by default, 'self' and origins, nothing that could break out of the header", () => {
    const grants = { GRANTS: rules.tailnetCidrs() };
    assert.deepEqual(parseEnv(grants, {}).GRANTS, {});
    assert.deepEqual(parseEnv(grants, { GRANTS: ' a.example.com=100.64.1.0/24, fd7a::/48 ; b.example.com=10.2.0.0/16;a.example.com=10.1.0.0/16' }).GRANTS, {
      'a.example.com': ['100.64.1.0/24', 'fd7a::/48', '10.1.0.0/16'],
      'b.example.com': ['10.2.0.0/16'],
    });
    for (const bad of ['a.example.com', 'a.example.com=', '=10.0.0.0/8', 'a.example.com=10.0.0.0/33', 'a b=10.0.0.0/8']) {
      assert.match(problems(() => parseEnv(grants, { GRANTS: bad })).find((p) => p.variable === 'GRANTS')?.rule ?? '', /tailnet=cidr/, bad);
    }
    const spec = { ANCESTORS: rules.frameAncestors() };
    assert.equal(parseEnv(spec, {}).ANCESTORS, "'none'");
    assert.equal(parseEnv(spec, { ANCESTORS: "  'self'   https://app.example.com https://*.example.org:8443 " }).ANCESTORS, "'self' https://app.example.com https://*.example.org:8443");
    for (const bad of ['*', 'https://a.example; script-src *', 'javascript:x', "'unsafe-inline'"]) {
      assert.match(problems(() => parseEnv(spec, { ANCESTORS: bad })).find((p) => p.variable === 'ANCESTORS')?.rule ?? '', /'none', 'self' or origins/, bad);
    }
  });

  it('takes whole percentages from 1 to 100', () => {
    const spec = { SHARE: rules.percent(75) };
    assert.deepEqual(parseEnv(spec, {}), { SHARE: 75 });
    assert.deepEqual(parseEnv(spec, { SHARE: '100' }), { SHARE: 100 });
    for (const bad of ['0', '101', '7.5', 'most']) assert.deepEqual(problems(() => parseEnv(spec, { SHARE: bad })).map((p) => [p.variable, p.rule]), [['SHARE', 'must be a whole percentage (1-100)']], bad);
  });

  it('says when a required variable is missing', () => {
    const [problem] = problems(() => loadSecretsConfig({}));
    assert.deepEqual(problem, { variable: 'SECRETS_ENCRYPTION_KEYS', rule: 'is required but not set' });
  });

  it('parses and checks the encryption keyring', () => {
    const k = randomBytes(32).toString('base64');
    const { keys } = loadSecretsConfig({ SECRETS_ENCRYPTION_KEYS: `new:${k},old:${k}` });
    assert.deepEqual(keys.map((x) => x.id), ['new', 'old']);
    assert.equal(keys[0]!.key.length, 32);
    const [problem] = problems(() => loadSecretsConfig({ SECRETS_ENCRYPTION_KEYS: `k:${randomBytes(16).toString('base64')}` }));
    assert.match(problem!.rule, /32 bytes/);
  });
});
