import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EndpointUrlPolicy } from './endpoint-url.policy';

describe('EndpointUrlPolicy', () => {
  const policy = new EndpointUrlPolicy([]);
  const t = { tailnet: 'a.example.com' };

  it('accepts https with a DNS name or a public IP', () => {
    for (const url of ['https://hooks.example.com/tailscale', 'https://8.8.8.8/x', 'https://[2606:4700::1111]:8443/']) {
      assert.equal(policy.check(url, t), undefined, url);
    }
  });

  it('refuses http, userinfo, private and loopback literals', () => {
    assert.match(policy.check('http://hooks.example.com/', t)!, /https/);
    assert.match(policy.check('https://user:pw@hooks.example.com/', t)!, /userinfo/);
    assert.match(policy.check('https://127.0.0.1/', t)!, /loopback/);
    assert.match(policy.check('https://2130706433/', t)!, /loopback/);
    assert.match(policy.check('https://10.0.0.1/', t)!, /private/);
    assert.match(policy.check('https://[::1]/', t)!, /loopback/);
    assert.match(policy.check('https://[::ffff:10.0.0.1]/', t)!, /ipv4-mapped/);
    assert.match(policy.check('not a url', t)!, /absolute URL/);
  });

  it('accepts loopback literals only when the local configuration allows them', () => {
    assert.equal(new EndpointUrlPolicy(['127.0.0.0/8']).check('https://127.0.0.1:9443/', t), undefined);
  });

  it("opens a tailnet's granted ranges to it alone, and plain http there only for a relay output", () => {
    const granted = new EndpointUrlPolicy([], { 'a.example.com': ['10.1.0.0/16'], 'b.example.com': ['10.2.0.0/16'] });
    assert.equal(granted.check('https://10.1.0.5/hook', t), undefined);
    assert.equal(granted.check('http://10.1.0.5:8080/hook', { ...t, plainHttpInGrant: true }), undefined);
    assert.match(granted.check('http://10.1.0.5/hook', t)!, /https/, 'a webhook stays on https');
    assert.match(granted.check('https://10.2.0.5/hook', t)!, /granted to another tailnet/);
    assert.match(granted.check('http://10.2.0.5/hook', { ...t, plainHttpInGrant: true })!, /granted to another tailnet/);
    assert.match(granted.check('http://ci.internal/hook', { ...t, plainHttpInGrant: true })!, /https/, 'http only to an address literal in a grant');
    assert.match(granted.check('https://10.3.0.5/hook', t)!, /private/);
  });
});
