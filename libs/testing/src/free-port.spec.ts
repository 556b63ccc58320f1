import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { freePort } from './free-port';
import { listensOn } from './port-owner';

const claims = join(tmpdir(), 'tidings-test-ports');

/** Runs freePort in a fresh process whose Math.random first lands on `ports`, in order. */
async function freePortElsewhere(ports: number[]): Promise<number> {
  const high = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  const draws = ports.map((p) => (p - 10_000 + 0.5) / (high - 10_000));
  const script = `
    const draws = ${JSON.stringify(draws)};
    const random = Math.random;
    Math.random = () => (draws.length ? draws.shift() : random());
    require(${JSON.stringify(join(__dirname, 'free-port.js'))}).freePort().then((p) => console.log(p));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script]);
  return Number(stdout.trim());
}

describe('freePort', () => {
  it('claims each port it hands out for this process, so a parallel test file never gets it too', async () => {
    const port = await freePort();
    assert.equal(readFileSync(join(claims, String(port)), 'utf8'), String(process.pid));
    const other = await freePortElsewhere([port]);
    assert.notEqual(other, port, 'another process skips a port this one holds');
    assert.equal(existsSync(join(claims, String(other))), false, 'the other process released its claim when it exited');
  });

  it('takes over the claim of a process that is gone', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    await once(child, 'exit');
    const port = await freePort();
    writeFileSync(join(claims, String(port)), String(child.pid));
    assert.equal(await freePortElsewhere([port]), port);
  });
});

describe('listensOn', () => {
  it('tells the process listening on a port from any other', async () => {
    const server = createServer();
    server.listen(0, '0.0.0.0');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    const bystander = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)']);
    try {
      assert.equal(listensOn(process.pid, port), true);
      assert.equal(listensOn(bystander.pid!, port), false);
      server.close();
      await once(server, 'close');
      assert.equal(listensOn(process.pid, port), false, 'not once closed');
    } finally {
      bystander.kill();
    }
  });
});
