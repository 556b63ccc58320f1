import type { IncomingMessage } from 'node:http';

/** What reading a body came to: the bytes, or that it would go past the limit. */
export type BodyResult = { ok: true; body: Buffer } | { ok: false; tooLarge: true };

/**
 * Reads a request's raw body up to `limit` bytes. Past it (or when Content-Length says it will
 * be), it stops reading at once: the caller answers 413 with `Connection: close`.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve({ ok: false, tooLarge: true });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      req.pause();
      resolve({ ok: false, tooLarge: true });
    };
    req.on('data', onData);
    req.on('end', () => resolve({ ok: true, body: Buffer.concat(chunks, size) }));
    req.on('error', reject);
  });
}
