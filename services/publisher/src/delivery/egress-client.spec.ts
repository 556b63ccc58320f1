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

  const post = async (proxy: string) => {
    const client = new EgressClient(proxy, 1);
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

  it('sends at most once more: an egress that keeps breaking fails the attempt', async () => {
    const proxy = await brokenProxy(Number.POSITIVE_INFINITY);
    servers.push(proxy.server);
    await assert.rejects(post(proxy.url), (error: { code?: string }) => error.code === 'UND_ERR_SOCKET');
    assert.equal(proxy.requests(), 2);
  });
});
