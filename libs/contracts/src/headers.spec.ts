import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { egressRequestTarget } from './headers';

describe('egressRequestTarget', () => {
  it('turns an https URL into an absolute-form http target with its port explicit and TLS asked of the egress', () => {
    assert.deepEqual(egressRequestTarget('https://hooks.example.com/in?x=1'), { path: 'http://hooks.example.com:443/in?x=1', headers: { host: 'hooks.example.com:443', 'x-tidings-tls': 'true' } });
    assert.deepEqual(egressRequestTarget('https://[2001:db8::1]:8443/p'), { path: 'http://[2001:db8::1]:8443/p', headers: { host: '[2001:db8::1]:8443', 'x-tidings-tls': 'true' } });
  });

  it('leaves a plain http URL plain (its default port needs no spelling) and asks for no TLS', () => {
    assert.deepEqual(egressRequestTarget('http://10.1.2.3/hook'), { path: 'http://10.1.2.3/hook', headers: { host: '10.1.2.3' } });
    assert.deepEqual(egressRequestTarget('http://10.1.2.3:8080/hook'), { path: 'http://10.1.2.3:8080/hook', headers: { host: '10.1.2.3:8080' } });
  });
});
