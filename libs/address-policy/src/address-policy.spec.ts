import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressPolicy } from './address-policy';

const policy = new AddressPolicy({ allow: [], deny: [] });

describe('AddressPolicy', () => {
  const denied: [string, string][] = [
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.100.100.100', 'cgnat'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.10', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'ipv4-mapped'],
    ['::ffff:8.8.8.8', 'ipv4-mapped'],
    ['::127.0.0.1', 'ipv4-compatible'],
    ['64:ff9b::a00:1', 'nat64'],
    ['2002:7f00:1::', '6to4'],
    ['2001:0:4136:e378::1', 'teredo'],
    ['2001:db8::1', 'documentation'],
    ['fd12:3456::1', 'private'],
    ['fe80::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['100::1', 'reserved'],
    ['4000::1', 'reserved'],
  ];
  for (const [address, range] of denied) {
    it(`denies ${address} as ${range}`, () => {
      assert.deepEqual(policy.judge(address), { allowed: false, range });
    });
  }

  it('allows public addresses', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e']) {
      assert.deepEqual(policy.judge(address), { allowed: true, range: 'public' }, address);
    }
  });

  it('lets the allow list open a denied range, and the deny list close anything', () => {
    const configured = new AddressPolicy({ allow: ['127.0.0.0/8'], deny: ['8.8.8.0/24', '127.0.0.2/32'] });
    assert.deepEqual(configured.judge('127.0.0.1'), { allowed: true, range: 'allow-list' });
    assert.deepEqual(configured.judge('127.0.0.2'), { allowed: false, range: 'deny-list' });
    assert.deepEqual(configured.judge('8.8.8.8'), { allowed: false, range: 'deny-list' });
    assert.deepEqual(configured.judge('::1'), { allowed: false, range: 'loopback' });
  });

  it('refuses strings that are not addresses', () => {
    assert.deepEqual(policy.judge('localhost'), { allowed: false, range: 'invalid' });
  });

  it("lets a tailnet reach only the ranges granted to it, whatever the allow list says", () => {
    const granted = new AddressPolicy({
      allow: ['10.0.0.0/8'],
      deny: ['10.1.2.3/32'],
      socks5: ['100.64.0.0/10'],
      tailnets: { 'a.example.com': ['10.1.0.0/16', '100.64.1.0/24', 'fd7a:115c:a1e0::/48'], 'b.example.com': ['10.2.0.0/16'] },
    });
    assert.deepEqual(granted.judge('10.1.0.5', 'a.example.com'), { allowed: true, range: 'tailnet-grant' });
    assert.deepEqual(granted.judge('100.64.1.9', 'a.example.com'), { allowed: true, range: 'socks5-route' }, 'through the SOCKS5 route when it is one');
    assert.deepEqual(granted.judge('fd7a:115c:a1e0::1', 'a.example.com'), { allowed: true, range: 'tailnet-grant' });
    for (const [address, tailnet] of [['10.1.0.5', 'b.example.com'], ['10.1.0.5', undefined], ['100.64.1.9', 'b.example.com'], ['10.2.0.1', 'a.example.com']] as const) {
      assert.deepEqual(granted.judge(address, tailnet), { allowed: false, range: 'granted to another tailnet' }, `${address} for ${tailnet}`);
    }
    assert.deepEqual(granted.judge('10.1.2.3', 'a.example.com'), { allowed: false, range: 'deny-list' }, 'the deny list still wins');
    assert.deepEqual(granted.judge('10.9.9.9', 'b.example.com'), { allowed: true, range: 'allow-list' }, 'outside every grant, the rest of the policy decides');
    assert.deepEqual(granted.judge('100.64.9.9', 'b.example.com'), { allowed: true, range: 'socks5-route' });
  });
});
