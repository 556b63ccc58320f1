/**
 * A `--require` hook (through NODE_OPTIONS) for infra/image/trace-loads.sh: appends every file
 * a process loads to `$TIDINGS_LOAD_LOG/<pid>.txt` (first line `# <entry script>`), so the image
 * ships only the packages the services really load. Appended as loaded, not at exit: a process
 * that is killed still leaves its list.
 *
 * The test harness starts services with an environment of its own (no NODE_OPTIONS), so the
 * hook also hands itself to every Node child a recorded process spawns.
 */
import { ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = process.env.TIDINGS_LOAD_LOG;

function recordLoads(logDir: string): void {
  mkdirSync(logDir, { recursive: true });
  const file = join(logDir, `${process.pid}.txt`);
  appendFileSync(file, `# ${process.argv[1] ?? ''}\n`);
  const seen = new Set<string>();
  // Synchronous hooks see require() and import alike (Node >= 23.5).
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const result = nextResolve(specifier, context);
      if (result.url.startsWith('file:') && !seen.has(result.url)) {
        seen.add(result.url);
        appendFileSync(file, `${fileURLToPath(result.url)}\n`);
      }
      return result;
    },
  });
}

interface SpawnOptions {
  file: string;
  envPairs?: string[];
}

/** Every child_process function ends in ChildProcess#spawn, with the environment as K=V pairs. */
function inheritIntoNodeChildren(logDir: string): void {
  const prototype = ChildProcess.prototype as unknown as { spawn(options: SpawnOptions): unknown };
  const spawn = prototype.spawn;
  const hook = `--require ${__filename}`;
  prototype.spawn = function (this: ChildProcess, options: SpawnOptions) {
    if (options.file === process.execPath && options.envPairs) {
      const others = options.envPairs.filter((pair) => !pair.startsWith('NODE_OPTIONS=') && !pair.startsWith('TIDINGS_LOAD_LOG='));
      const nodeOptions = options.envPairs.find((pair) => pair.startsWith('NODE_OPTIONS='))?.slice('NODE_OPTIONS='.length) ?? '';
      const withHook = nodeOptions.includes(hook) ? nodeOptions : `${nodeOptions} ${hook}`.trim();
      options.envPairs = [...others, `NODE_OPTIONS=${withHook}`, `TIDINGS_LOAD_LOG=${logDir}`];
    }
    return spawn.call(this, options);
  };
}

if (dir) {
  recordLoads(dir);
  inheritIntoNodeChildren(dir);
}
