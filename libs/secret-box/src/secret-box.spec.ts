import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SecretBox } from './secret-box';

const key = (id: string) => ({ id, key: randomBytes(32) });

describe('SecretBox', () => {
  it('seals so that only the same key and context open it', () => {
    const k1 = key('k1');
    const box = new SecretBox([k1]);
    const sealed = box.seal('tskey-webhook-abc', 'endpoint-1');
    assert.equal(sealed.keyId, 'k1');
    assert.doesNotMatch(JSON.stringify(sealed), /tskey-webhook-abc/);
    assert.equal(box.open(sealed, 'endpoint-1'), 'tskey-webhook-abc');
    assert.throws(() => box.open(sealed, 'endpoint-2'), /auth/i);
    assert.throws(() => new SecretBox([key('k1')]).open(sealed, 'endpoint-1'), /auth/i);
  });

  it('rotates the master key: new key seals, old key still opens', () => {
    const [oldKey, newKey] = [key('old'), key('new')];
    const sealedOld = new SecretBox([oldKey]).seal('s', 'e');
    const rotated = new SecretBox([newKey, oldKey]);
    assert.equal(rotated.open(sealedOld, 'e'), 's');
    assert.equal(rotated.isStale(sealedOld), true);
    assert.equal(rotated.seal('s', 'e').keyId, 'new');
    assert.throws(() => new SecretBox([newKey]).open(sealedOld, 'e'), /no encryption key with id old/);
  });

  it('refuses keys that are not 32 bytes', () => {
    assert.throws(() => new SecretBox([{ id: 'short', key: randomBytes(16) }]), /not 32 bytes/);
  });
});
