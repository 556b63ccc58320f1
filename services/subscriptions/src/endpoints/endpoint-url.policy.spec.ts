import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EndpointUrlPolicy } from './endpoint-url.policy';

describe('EndpointUrlPolicy', () => {
  const policy = new EndpointUrlPolicy([]);

  it('accepts https with a DNS name or a public IP', () => {
    for (const url of ['https://hooks.example.com/tailscale', 'https://8.8.8.8/x', 'https://[2606:4700::1111]:8443/']) {
      assert.equal(policy.check(url), undefined, url);
    }
  });

  it('refuses http, userinfo, private and loopback literals', () => {
    assert.match(policy.check('http://hooks.example.com/')!, /https/);
    assert.match(policy.check('https://user:pw@hooks.example.com/')!, /userinfo/);
    assert.match(policy.check('https://127.0.0.1/')!, /loopback/);
    assert.match(policy.check('https://2130706433/')!, /loopback/);
    assert.match(policy.check('https://10.0.0.1/')!, /private/);
    assert.match(policy.check('https://[::1]/')!, /loopback/);
    assert.match(policy.check('https://[::ffff:10.0.0.1]/')!, /ipv4-mapped/);
    assert.match(policy.check('not a url')!, /absolute URL/);
  });

  it('accepts loopback literals only when the local configuration allows them', () => {
    assert.equal(new EndpointUrlPolicy(['127.0.0.0/8']).check('https://127.0.0.1:9443/'), undefined);
  });
});
