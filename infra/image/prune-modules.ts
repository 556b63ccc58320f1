/**
 * Prunes a production node_modules (from `npm ci --omit=dev`) down to what the image ships:
 * every package folder not in infra/image/runtime-packages.txt goes, and so does the junk the
 * prune rules name inside the packages that stay (docs, declarations, dependency source maps,
 * tests). Prints what it removed.
 *
 *   node dist/infra/image/prune-modules.js --modules DIR/node_modules --keep infra/image/runtime-packages.txt
 */
import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isJunk, isJunkDir } from './prune-rules';
import { readPackageList } from './runtime-packages';

export interface PruneReport {
  keptPackages: number;
  keptBytes: number;
  removedPackages: { dir: string; bytes: number }[];
  junkFiles: number;
  junkBytes: number;
}

/** Apparent size of a file or folder tree, in bytes (what a layer's tar holds). */
export function treeBytes(path: string): number {
  const stat = lstatSync(path);
  if (!stat.isDirectory()) return stat.size;
  let total = 0;
  for (const name of readdirSync(path)) total += treeBytes(join(path, name));
  return total;
}

/** Every package folder under a node_modules, nested ones included, as paths relative to it. */
export function listPackages(nodeModules: string, prefix = ''): string[] {
  const found: string[] = [];
  for (const name of readdirSync(nodeModules)) {
    if (name.startsWith('.')) continue;
    const scoped = name.startsWith('@') ? readdirSync(join(nodeModules, name)).map((sub) => `${name}/${sub}`) : [name];
    for (const dir of scoped) {
      found.push(prefix + dir);
      const nested = join(nodeModules, dir, 'node_modules');
      if (lstatSync(join(nodeModules, dir)).isDirectory() && exists(nested)) found.push(...listPackages(nested, `${prefix}${dir}/node_modules/`));
    }
  }
  return found;
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Removes junk inside one kept package (its nested node_modules are packages of their own). */
function removeJunk(packageDir: string, report: PruneReport, inPackage = ''): void {
  for (const name of readdirSync(join(packageDir, inPackage))) {
    const relative = inPackage === '' ? name : `${inPackage}/${name}`;
    const path = join(packageDir, relative);
    const stat = lstatSync(path);
    if (stat.isDirectory()) {
      if (inPackage === '' && name === 'node_modules') continue;
      if (isJunkDir(name, inPackage === '')) {
        report.junkBytes += treeBytes(path);
        report.junkFiles += 1;
        rmSync(path, { recursive: true });
      } else {
        removeJunk(packageDir, report, relative);
      }
    } else if (isJunk(relative)) {
      report.junkBytes += stat.size;
      report.junkFiles += 1;
      rmSync(path);
    }
  }
}

export function pruneModules(nodeModules: string, keep: string[]): PruneReport {
  const all = listPackages(nodeModules);
  const present = new Set(all);
  const kept = new Set(keep);
  const missing = keep.filter((dir) => !present.has(dir));
  if (missing.length > 0) {
    throw new Error(
      `the services load packages this install lacks (dependencies changed since the trace?): ${missing.join(', ')}. ` +
        'Rerun bash infra/image/trace-loads.sh and commit infra/image/runtime-packages.txt',
    );
  }
  const report: PruneReport = { keptPackages: 0, keptBytes: 0, removedPackages: [], junkFiles: 0, junkBytes: 0 };
  // Deepest first, so a removed package's size does not count its nested packages twice.
  for (const dir of [...all].sort((a, b) => b.length - a.length)) {
    if (kept.has(dir)) continue;
    if (keep.some((k) => k.startsWith(`${dir}/node_modules/`))) {
      throw new Error(`${dir} is not in the list but a package nested in it is: the list is inconsistent`);
    }
    const path = join(nodeModules, dir);
    report.removedPackages.push({ dir, bytes: treeBytes(path) });
    rmSync(path, { recursive: true });
  }
  for (const dir of keep) removeJunk(join(nodeModules, dir), report);
  for (const name of readdirSync(nodeModules)) {
    const path = join(nodeModules, name);
    // npm's own bookkeeping (.bin links, the hidden lockfile) and scopes left empty.
    if (name.startsWith('.') || (name.startsWith('@') && readdirSync(path).length === 0)) rmSync(path, { recursive: true });
  }
  report.keptPackages = keep.length;
  report.keptBytes = treeBytes(nodeModules);
  return report;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

export function describePrune(report: PruneReport): string {
  const removed = report.removedPackages.reduce((sum, p) => sum + p.bytes, 0);
  const scopes = new Map<string, number>();
  for (const { dir, bytes } of report.removedPackages) {
    const top = dir.split('/node_modules/')[0];
    const group = top.startsWith('@') ? top.split('/')[0] : top;
    scopes.set(group, (scopes.get(group) ?? 0) + bytes);
  }
  const biggest = [...scopes].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([name, bytes]) => `${name} ${mb(bytes)}`);
  return [
    `kept ${report.keptPackages} packages, ${mb(report.keptBytes)}`,
    `removed ${report.removedPackages.length} packages the services never load, ${mb(removed)} (${biggest.join(', ')})`,
    `removed ${report.junkFiles} junk files and folders in kept packages, ${mb(report.junkBytes)}`,
  ].join('\n');
}

function main(): void {
  const { values } = parseArgs({ options: { modules: { type: 'string' }, keep: { type: 'string' } } });
  if (!values.modules || !values.keep) throw new Error('usage: prune-modules --modules DIR --keep LIST');
  process.stderr.write(`${describePrune(pruneModules(values.modules, readPackageList(values.keep)))}\n`);
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    process.stderr.write(`prune-modules: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
