import { connect as netConnect, isIP, type Socket } from 'node:net';
import { SocksClient } from 'socks';
import { Refusal } from './refusal';

export interface Socks5Proxy {
  host: string;
  port: number;
}

/**
 * A TCP connection to a checked address: directly, or through the operator's SOCKS5 route
 * (which is given the address, never the name, so it cannot resolve to anything else).
 */
export async function dialTcp(address: string, port: number, timeoutMs: number, socks5?: Socks5Proxy): Promise<Socket> {
  if (socks5) {
    try {
      const { socket } = await SocksClient.createConnection({
        proxy: { host: socks5.host, port: socks5.port, type: 5 },
        command: 'connect',
        destination: { host: address, port },
        timeout: timeoutMs,
      });
      return socket;
    } catch (error) {
      const message = (error as Error).message;
      throw /timed out|timeout/i.test(message) ? new Refusal('connectTimeout', `SOCKS5 route timed out: ${message}`) : new Refusal('connectFailure', `SOCKS5 route failed: ${message}`);
    }
  }
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: address, port, family: isIP(address) });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Refusal('connectTimeout', 'connecting to the upstream timed out'));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Refusal('connectFailure', `upstream connection failed: ${error.code ?? error.message}`));
    });
  });
}
