import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { EgressClient } from './egress-client';

/** A stand-in for the egress proxy on loopback that breaks the first `breaks` connections mid-request. */
async function brokenProxy(breaks: number): Promise<{ url: string; requests: () => number; server: Server }> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests += 1;
    if (requests <= breaks) {
      req.socket.destroy();
      return;
    }
    req.resume();
    req.on('end', () => res.writeHead(200).end('ok'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests, server };
}

describe('EgressClient', () => {
  const servers: Server[] = [];
  const clients: EgressClient[] = [];
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    for (const s of servers) s.close();
  });

  const post = async (proxy: string, refusedWaitMs?: number) => {
    const client = new EgressClient(proxy, 1, refusedWaitMs);
    clients.push(client);
    const slot = await client.reserve('normal');
    try {
      return await slot.post('https://hooks.example.com/x', '[]', { 'content-type': 'application/json' }, 5_000);
    } finally {
      slot.release();
    }
  };

  it('sends once more on a fresh connection when the hop to the egress breaks before an answer', async () => {
    const proxy = await brokenProxy(1);
    servers.push(proxy.server);
    assert.equal((await post(proxy.url)).status, 200);
    assert.equal(proxy.requests(), 2);
  });

  it('waits for an egress that refuses connections (no pod ready in a roll), then sends', async () => {
    // A port nothing listens on yet; the proxy comes up on it a moment later.
    const probe = await brokenProxy(0);
    const { port } = probe.server.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.server.close(() => resolve()));
    let served = 0;
    const late = createServer((req, res) => {
      served += 1;
      req.resume();
      req.on('end', () => res.writeHead(200).end('ok'));
    });
    servers.push(late);
    setTimeout(() => late.listen(port, '127.0.0.1'), 600);
    assert.equal((await post(`http://127.0.0.1:${port}`, 10_000)).status, 200);
    assert.equal(served, 1);
  });

  it('gives up on an egress that keeps refusing once the wait is over', async () => {
    const probe = await brokenProxy(0);
    const { port } = probe.server.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.server.close(() => resolve()));
    const started = Date.now();
    await assert.rejects(post(`http://127.0.0.1:${port}`, 1_000), (error: { code?: string }) => error.code === 'ECONNREFUSED');
    assert.ok(Date.now() - started < 5_000, 'within the wait and one backoff');
  });

  it('sends at most once more: an egress that keeps breaking fails the attempt', async () => {
    const proxy = await brokenProxy(Number.POSITIVE_INFINITY);
    servers.push(proxy.server);
    await assert.rejects(post(proxy.url), (error: { code?: string }) => error.code === 'UND_ERR_SOCKET');
    assert.equal(proxy.requests(), 2);
  });
});
