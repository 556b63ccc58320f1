import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A SOCKS5 server on loopback (no authentication, CONNECT only) that records each destination
 * it was asked for: a stand-in for a Tailscale userspace proxy in tests.
 */
export class TestSocks5Server {
  readonly destinations: string[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  async start(host = '127.0.0.1'): Promise<number> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server!.listen(0, host, resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(client: Socket): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => undefined);
    let stage: 'greeting' | 'request' = 'greeting';
    let buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (stage === 'greeting') {
        if (buffer.length < 2 || buffer.length < 2 + buffer[1]!) return;
        buffer = buffer.subarray(2 + buffer[1]!);
        client.write(Buffer.from([5, 0])); // version 5, no authentication
        stage = 'request';
      }
      if (stage === 'request' && buffer.length >= 10) {
        const type = buffer[3];
        let host: string;
        let end: number;
        if (type === 1) {
          host = [...buffer.subarray(4, 8)].join('.');
          end = 8;
        } else if (type === 4) {
          if (buffer.length < 22) return;
          host = (buffer.subarray(4, 20).toString('hex').match(/.{4}/g) ?? []).join(':');
          end = 20;
        } else {
          host = buffer.subarray(5, 5 + buffer[4]!).toString();
          end = 5 + buffer[4]!;
        }
        const port = buffer.readUInt16BE(end);
        client.off('data', onData);
        this.destinations.push(`${host}:${port}`);
        const upstream = connect({ host, port }, () => {
          client.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
          upstream.pipe(client).pipe(upstream);
        });
        upstream.on('error', () => client.end(Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0])));
        this.sockets.add(upstream);
        upstream.on('close', () => this.sockets.delete(upstream));
      }
    };
    client.on('data', onData);
  }
}
