import { createSocket, type Socket } from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';

export interface DnsAnswer {
  A?: string[];
  AAAA?: string[];
  /** Seconds the answer may be cached; 0 (the default) asks again on every lookup. */
  ttl?: number;
}

const TYPE_A = 1;
const TYPE_AAAA = 28;

/**
 * A DNS server on loopback that answers exactly what a test told it: fixed answers, or a
 * sequence that advances with every query of a type (for rebinding), with TTL 0 (nothing
 * cached) unless an answer says otherwise. Unknown names get NXDOMAIN. Every query is recorded.
 */
export class TestDnsServer {
  readonly queries: { name: string; type: 'A' | 'AAAA' | number }[] = [];
  private readonly zones = new Map<string, DnsAnswer[]>();
  private readonly served = new Map<string, number>();
  private socket: Socket | undefined;
  /** While true, queries are recorded and never answered: a resolver that is down. */
  silent = false;

  /** One answer for every query, or a sequence: the n-th query of a type gets the n-th entry (the last repeats). */
  set(name: string, answers: DnsAnswer | DnsAnswer[]): void {
    this.zones.set(name.toLowerCase(), Array.isArray(answers) ? answers : [answers]);
    for (const type of ['A', 'AAAA']) this.served.delete(`${name.toLowerCase()}/${type}`);
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    this.socket = createSocket('udp4');
    this.socket.on('message', (msg, rinfo) => {
      const reply = this.answer(msg);
      if (reply && !this.silent) this.socket!.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => this.socket!.bind(port, host, resolve));
    return `${host}:${this.socket.address().port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.socket ? this.socket.close(() => resolve()) : resolve()));
  }

  private answer(query: Buffer): Buffer | undefined {
    if (query.length < 12) return undefined;
    let offset = 12;
    const labels: string[] = [];
    while (offset < query.length && query[offset] !== 0) {
      const length = query[offset]!;
      labels.push(query.subarray(offset + 1, offset + 1 + length).toString('ascii'));
      offset += length + 1;
    }
    const questionEnd = offset + 5;
    if (questionEnd > query.length) return undefined;
    const qtype = query.readUInt16BE(offset + 1);
    const name = labels.join('.').toLowerCase();
    const type = qtype === TYPE_A ? 'A' : qtype === TYPE_AAAA ? 'AAAA' : qtype;
    this.queries.push({ name, type });

    const sequence = this.zones.get(name);
    let addresses: string[] = [];
    let ttl = 0;
    if (sequence && (type === 'A' || type === 'AAAA')) {
      const key = `${name}/${type}`;
      const n = this.served.get(key) ?? 0;
      this.served.set(key, n + 1);
      const served = sequence[Math.min(n, sequence.length - 1)]!;
      addresses = served[type] ?? [];
      ttl = served.ttl ?? 0;
    }
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    header.writeUInt16BE(sequence ? 0x8180 : 0x8183, 2); // response, recursion available; NXDOMAIN if unknown
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(addresses.length, 6);
    const answers = addresses.map((address) => {
      const rdata = type === 'A' && isIPv4(address) ? Buffer.from(address.split('.').map(Number)) : type === 'AAAA' && isIPv6(address) ? ipv6Bytes(address) : Buffer.alloc(0);
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0); // the question's name
      rr.writeUInt16BE(qtype, 2);
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(ttl, 6);
      rr.writeUInt16BE(rdata.length, 10);
      return Buffer.concat([rr, rdata]);
    });
    return Buffer.concat([header, query.subarray(12, questionEnd), ...answers]);
  }
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail = ''] = address.split('::');
  const parts = (s: string) => (s ? s.split(':') : []);
  const groups = [...parts(head), ...Array(8 - parts(head).length - parts(tail).length).fill('0'), ...parts(tail)];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}
