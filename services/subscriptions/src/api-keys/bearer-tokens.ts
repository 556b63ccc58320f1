import { createHash, randomBytes } from 'node:crypto';

/**
 * API keys and portal session tokens alike: `<prefix><id>-<32 random bytes, base64url>`, stored
 * only as a SHA-256 (the token is random, so a slow hash buys nothing here).
 */
export function mintToken(prefix: string, idPrefix: string): { id: string; token: string } {
  const id = `${idPrefix}${randomBytes(8).toString('hex')}`;
  return { id, token: `${prefix}${id}-${randomBytes(32).toString('base64url')}` };
}

export function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
