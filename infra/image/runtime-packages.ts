/**
 * Turns the load logs of infra/image/load-recorder.ts into infra/image/runtime-packages.txt:
 * the package folders (paths under node_modules) that the services and the CLI load. Only
 * processes whose entry script is a service's main.js or the CLI count; the test processes
 * that started them load test-only packages.
 *
 *   node dist/infra/image/runtime-packages.js --logs DIR --out infra/image/runtime-packages.txt [--lockfile package-lock.json]
 *
 * Fails when a file a service loaded would be dropped by the image's prune rules, or when an
 * entry point was never seen (the trace did not cover it).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isJunk, packageDirOf, underNodeModules } from './prune-rules';

const ENTRY = /\/dist\/services\/([a-z-]+)\/src\/(main|cli\/tidings-cli)\.js$/;
export const EXPECTED_ENTRIES = ['egress/main', 'publisher/main', 'subscriptions/cli/tidings-cli', 'subscriptions/main', 'trigger/main'];

export interface TraceSummary {
  packages: string[];
  entries: Map<string, number>;
  loadedFiles: number;
  problems: string[];
}

export function summarizeLoadLogs(logDir: string): TraceSummary {
  const packages = new Set<string>();
  const entries = new Map<string, number>();
  const files = new Set<string>();
  const problems: string[] = [];
  for (const name of readdirSync(logDir)) {
    const lines = readFileSync(join(logDir, name), 'utf8').split('\n').filter((l) => l !== '');
    const match = ENTRY.exec(lines[0]?.slice(2) ?? '');
    if (!match) continue;
    const entry = `${match[1]}/${match[2]}`;
    entries.set(entry, (entries.get(entry) ?? 0) + 1);
    for (const file of lines.slice(1)) {
      const relative = underNodeModules(file);
      if (relative === undefined) continue;
      files.add(relative);
      const dir = packageDirOf(relative);
      if (dir === undefined) continue;
      packages.add(dir);
      const inPackage = relative.slice(dir.length + 1);
      if (isJunk(inPackage)) problems.push(`${entry} loads ${relative}, which the prune rules drop`);
    }
  }
  for (const entry of EXPECTED_ENTRIES) {
    if (!entries.has(entry)) problems.push(`no process ran ${entry}.js: the trace does not cover it`);
  }
  return { packages: [...packages].sort(), entries, loadedFiles: files.size, problems: [...new Set(problems)] };
}

/** Package folders (relative to node_modules) that a lockfile marks dev-only. */
export function devOnlyPackages(lockfile: string): string[] {
  const lock = JSON.parse(readFileSync(lockfile, 'utf8')) as { packages?: Record<string, { dev?: boolean }> };
  return Object.entries(lock.packages ?? {})
    .filter(([path, meta]) => path.startsWith('node_modules/') && meta.dev === true)
    .map(([path]) => path.slice('node_modules/'.length));
}

/**
 * The list file. Packages the lockfile marks dev-only were loaded because the trace ran on the
 * development tree (optional requires, such as debug's supports-color): they are named in a
 * comment, since production has none of them and the services must do without.
 */
export function renderPackageList(summary: TraceSummary, devOnly: string[] = []): string {
  const runs = [...summary.entries].map(([entry, count]) => `${entry} ×${count}`).join(', ');
  const dev = new Set(devOnly);
  const optional = summary.packages.filter((dir) => dev.has(dir));
  return [
    '# The package folders (under node_modules) that the services and the CLI load: the image',
    '# ships only these. Written by infra/image/trace-loads.sh from real runs; do not edit by hand.',
    `# Traced: ${runs}; ${summary.loadedFiles} files from ${summary.packages.length} packages.`,
    ...(optional.length > 0 ? [`# Also loaded, but dev-only in the lockfile (optional requires, absent in production): ${optional.join(', ')}`] : []),
    ...summary.packages.filter((dir) => !dev.has(dir)),
    '',
  ].join('\n');
}

/** Reads the list back: one package folder a line, `#` comments ignored. */
export function readPackageList(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function main(): void {
  const { values } = parseArgs({ options: { logs: { type: 'string' }, out: { type: 'string' }, lockfile: { type: 'string', default: 'package-lock.json' } } });
  if (!values.logs || !values.out) throw new Error('usage: runtime-packages --logs DIR --out FILE [--lockfile package-lock.json]');
  const summary = summarizeLoadLogs(values.logs);
  if (summary.problems.length > 0) throw new Error(`the trace is not usable:\n  ${summary.problems.join('\n  ')}`);
  writeFileSync(values.out, renderPackageList(summary, devOnlyPackages(values.lockfile)));
  process.stderr.write(`runtime-packages: ${summary.packages.length} packages, ${summary.loadedFiles} files loaded\n`);
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    process.stderr.write(`runtime-packages: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
