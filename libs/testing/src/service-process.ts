import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listensOn } from './port-owner';
import { repoRoot } from './repo-root';
import { waitFor } from '@tidings/test-env';

export type ServiceName = 'subscriptions' | 'trigger' | 'publisher' | 'egress' | 'relay';

/** One line of a service's JSON log (pino): its message, and the fields a test looks at. */
export type LogLine<Fields = Record<string, unknown>> = { msg: string; level: number } & Fields;

export interface ServiceProcess {
  name: ServiceName;
  child: ChildProcess;
  logFile: string;
  /** The JSON lines of its log so far (every run of the log file, restarts included). */
  logLines<Fields = Record<string, unknown>>(): LogLine<Fields>[];
  /** Its HTTP port (health and metrics), from its environment. */
  port: string;
  /** SIGTERM, then wait for a clean exit (SIGKILL after 20 s). */
  stop(): Promise<number | null>;
  /** SIGKILL at once: a crash. */
  kill(): Promise<void>;
}

/** The entrypoint a container runs: `node dist/services/<name>/src/main.js`. */
export function serviceEntrypoint(name: ServiceName): string {
  return join(repoRoot(), 'dist', 'services', name, 'src', 'main.js');
}

/**
 * V8's heap bounds for a service, as the Helm chart sets them (`services.<name>.nodeOptions`):
 * left alone, V8 sizes its heap from the machine's memory and grows it lazily, and services
 * that need about 100 MiB sat at 600-800 MiB after a burst (issue 16; README, Benchmarks, has
 * the peaks with these). A caller's NODE_OPTIONS come after them, so they win.
 */
export const SERVICE_NODE_OPTIONS = '--max-old-space-size=160 --max-semi-space-size=8';

/** Services this process started and that still run: killed when it exits, however it exits. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Runs a service as its own process, configured only by its environment, with its JSON log
 * written to `logDir/<name>.log`; resolves once `healthUrl` answers 200.
 */
export async function startService(name: ServiceName, env: Record<string, string>, options: { healthUrl: string; logDir: string }): Promise<ServiceProcess> {
  mkdirSync(options.logDir, { recursive: true });
  const logFile = join(options.logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, ['--enable-source-maps', '--disable-warning=TimeoutNegativeWarning', serviceEntrypoint(name)], {
    env: { PATH: process.env.PATH ?? '', ...env, NODE_OPTIONS: [SERVICE_NODE_OPTIONS, env.NODE_OPTIONS].filter(Boolean).join(' ') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  // A bench or test that dies without stopping its stack must not leave it running: orphaned
  // services of an interrupted bench reconnected to the next bench's broker and skewed it.
  running.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => running.delete(child));

  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const outcome = await waitFor(`${name} to answer ${options.healthUrl}`, async () => {
    // Not thrown: waitFor would take it for a failed probe and try again until its deadline.
    if (exitCode !== undefined) return 'exited';
    // Its own socket first: a health answer alone could come from another process on that
    // port, had this one failed to bind it.
    if (!listensOn(child.pid!, Number(new URL(options.healthUrl).port))) return false;
    const res = await fetch(options.healthUrl);
    return res.ok && 'ready';
  }, 60_000, 200);
  if (outcome === 'exited') throw new Error(`${name} exited with ${exitCode}; see ${logFile}`);

  return {
    name,
    child,
    logFile,
    logLines: <Fields>() =>
      readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as LogLine<Fields>),
    port: new URL(options.healthUrl).port,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
