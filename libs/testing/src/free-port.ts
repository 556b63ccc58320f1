import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where the kernel picks the local ports of outgoing connections (Linux; its default elsewhere). */
function ephemeralRangeStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32_768;
  } catch {
    return 32_768;
  }
}

const LOWEST = 10_000;

/** One file per port handed out, named by the port and holding the pid that holds it. */
const RESERVATIONS = join(tmpdir(), 'tidings-test-ports');
const held: string[] = [];
let releaseOnExit = false;

function bindable(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    // All interfaces, as the services listen.
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Claims `port` for this process unless a live process holds it; a dead holder's claim is taken over. */
function reserve(port: number): boolean {
  const file = join(RESERVATIONS, String(port));
  for (let tries = 0; tries < 2; tries++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      held.push(file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(file, 'utf8'));
      // An empty file is a claim being written this instant: someone else's.
      if (!holder || alive(holder)) return false;
      rmSync(file, { force: true });
    }
  }
  return false;
}

function releaseAll(): void {
  for (const file of held.splice(0)) rmSync(file, { force: true });
}

/**
 * A TCP port that was free a moment ago (for services that take a fixed port), chosen below the
 * ephemeral range: a port the kernel handed out (0) could be given again as the local port of
 * some outgoing connection (a Kafka client's, say) before the service binds it, and the service
 * then fails with EADDRINUSE (seen once in CI).
 *
 * Test files run as parallel processes, each choosing ports at random, and a port is only bound
 * later by the service it was chosen for. Two files once chose the same one: the second API
 * failed to bind, and its test talked to the first file's service (a 404 in CI). So each port
 * handed out is also claimed in a file beside the other runs' claims, until this process exits.
 */
export async function freePort(): Promise<number> {
  mkdirSync(RESERVATIONS, { recursive: true });
  if (!releaseOnExit) {
    process.once('exit', releaseAll);
    releaseOnExit = true;
  }
  const high = ephemeralRangeStart();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (high - LOWEST));
    if (!reserve(port)) continue;
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port found in ${LOWEST}-${high - 1}`);
}
