/**
 * Checks a built image archive (infra/image/build.sh, or any OCI archive of Tidings) before
 * anyone runs it: the archive is whole (every blob matches its digest), the config runs
 * `node` as user 10001 in /app, Node and its libraries are there, every service entry point is
 * there, and nothing that must not ship does (dev tools, dev-only packages, specs, tests), all
 * within the size limit.
 *
 *   node dist/infra/image/verify.js IMAGE.tar [--lockfile package-lock.json] [--max-mb 300]
 *
 * Exits 1 with one line per problem; used by build.sh and the Kubernetes test tier.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageDirOf } from './prune-rules';
import { devOnlyPackages } from './runtime-packages';

export const EXPECTED_ENTRYPOINT = ['node', '--enable-source-maps', '--disable-warning=TimeoutNegativeWarning'];
export const SERVICES = ['subscriptions', 'trigger', 'publisher', 'egress'];
const REQUIRED_FILES = [
  'usr/local/bin/node',
  'lib64/ld-linux-x86-64.so.2',
  'lib/x86_64-linux-gnu/libc.so.6',
  'usr/lib/x86_64-linux-gnu/libstdc++.so.6',
  'lib/x86_64-linux-gnu/libgcc_s.so.1',
  'etc/passwd',
  'etc/group',
  'app/package.json',
  'app/dist/services/subscriptions/src/cli/tidings-cli.js',
  ...SERVICES.map((name) => `app/dist/services/${name}/src/main.js`),
];
// Build, lint and test tooling: never in the image, whatever the lockfile says.
const TOOLING = [/^typescript$/, /^eslint/, /^@eslint\//, /^typescript-eslint$/, /^@typescript-eslint\//, /^@swc\//, /^nx$/, /^@nx\//, /^@types\//, /^node$/, /^@vercel\/nft$/];

export interface Entry {
  path: string;
  mode: string;
  size: number;
}

export interface VerifyOptions {
  /** A package-lock.json: packages it marks dev-only must not be in the image. */
  lockfile?: string;
  maxBytes?: number;
}

export interface VerifyResult {
  problems: string[];
  name: string;
  unpackedBytes: number;
  compressedBytes: number;
  files: number;
}

function tar(args: string[]): string {
  return execFileSync('tar', args, { encoding: 'utf8', maxBuffer: 1 << 30 });
}

/** `tar -tv` lines: mode, owner/group, size, date, time, name (symlinks: `name -> target`). */
export function parseListing(listing: string): Entry[] {
  const entries: Entry[] = [];
  for (const line of listing.split('\n')) {
    const match = /^(\S+) \S+\s+(\d+) \S+ \S+ (.*)$/.exec(line);
    if (!match) continue;
    const name = match[1].startsWith('l') ? match[3].replace(/ -> .*$/, '') : match[3].replace(/ link to .*$/, '');
    entries.push({ mode: match[1], size: Number(match[2]), path: name.replace(/^\.\//, '').replace(/\/$/, '') });
  }
  return entries.filter((entry) => entry.path !== '.' && entry.path !== '');
}

export function verifyImageArchive(archive: string, options: VerifyOptions = {}): VerifyResult {
  const maxBytes = options.maxBytes ?? 300e6;
  const result: VerifyResult = { problems: [], name: '', unpackedBytes: 0, compressedBytes: 0, files: 0 };
  const problem = (text: string) => result.problems.push(text);
  if (!existsSync(archive)) return { ...result, problems: [`no such archive: ${archive}`] };
  const dir = mkdtempSync(join(tmpdir(), 'tidings-verify-'));
  try {
    tar(['-xf', archive, '-C', dir]);
    const json = (path: string): unknown => JSON.parse(readFileSync(join(dir, path), 'utf8'));
    const blobPath = (digest: string) => join(dir, 'blobs', 'sha256', digest.replace(/^sha256:/, ''));
    const blobOk = (digest: string) => {
      const path = blobPath(digest);
      if (!existsSync(path)) return problem(`missing blob ${digest}`), false;
      const actual = `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
      return actual === digest || (problem(`blob ${digest} is corrupt (its content hashes to ${actual})`), false);
    };

    if (!existsSync(join(dir, 'oci-layout')) || !existsSync(join(dir, 'index.json'))) problem('not an OCI image layout (no oci-layout or index.json)');
    if (!existsSync(join(dir, 'manifest.json'))) problem('no manifest.json: docker load cannot read it');
    if (result.problems.length > 0) return result;
    const index = json('index.json') as { manifests: { digest: string; annotations?: Record<string, string> }[] };
    if (index.manifests.length !== 1) return problem(`index.json lists ${index.manifests.length} manifests, expected 1`), result;
    result.name = index.manifests[0].annotations?.['io.containerd.image.name'] ?? '';
    if (!result.name) problem('index.json gives no io.containerd.image.name: ctr would import it unnamed');
    if (!blobOk(index.manifests[0].digest)) return result;
    const manifest = json(`blobs/sha256/${index.manifests[0].digest.slice(7)}`) as { config: { digest: string }; layers: { digest: string; size: number }[] };
    if (!blobOk(manifest.config.digest) || !manifest.layers.every((l) => blobOk(l.digest))) return result;
    const image = json(`blobs/sha256/${manifest.config.digest.slice(7)}`) as {
      config: { Entrypoint?: string[]; User?: string; WorkingDir?: string };
      rootfs: { diff_ids: string[] };
    };
    const config = image.config;
    if (JSON.stringify(config.Entrypoint) !== JSON.stringify(EXPECTED_ENTRYPOINT)) problem(`entrypoint is ${JSON.stringify(config.Entrypoint)}, expected ${JSON.stringify(EXPECTED_ENTRYPOINT)}`);
    if (!/^10001(:10001)?$/.test(config.User ?? '')) problem(`user is ${JSON.stringify(config.User)}, expected 10001`);
    if (config.WorkingDir !== '/app') problem(`working directory is ${JSON.stringify(config.WorkingDir)}, expected /app`);
    if (image.rootfs.diff_ids.length !== manifest.layers.length) problem('the config and the manifest disagree on the number of layers');

    // Later layers win, as in the runtime's overlay.
    const files = new Map<string, { entry: Entry; blob: string }>();
    for (const layer of manifest.layers) {
      result.compressedBytes += layer.size;
      for (const entry of parseListing(tar(['-tvz', '--numeric-owner', '-f', blobPath(layer.digest)]))) files.set(entry.path, { entry, blob: blobPath(layer.digest) });
    }
    result.files = files.size;
    for (const { entry } of files.values()) if (entry.mode.startsWith('-')) result.unpackedBytes += entry.size;
    if (result.unpackedBytes > maxBytes) problem(`unpacked size ${(result.unpackedBytes / 1e6).toFixed(1)} MB is over the ${(maxBytes / 1e6).toFixed(0)} MB limit`);

    for (const path of REQUIRED_FILES) if (!files.has(path)) problem(`missing /${path}`);
    const node = files.get('usr/local/bin/node');
    if (node && !/^-rwx/.test(node.entry.mode)) problem(`/usr/local/bin/node is not executable (${node.entry.mode})`);
    const tmp = files.get('tmp');
    if (tmp?.entry.mode !== 'drwxrwxrwt') problem(`/tmp must be a directory with mode 1777, found ${tmp?.entry.mode ?? 'nothing'}`);
    const passwd = files.get('etc/passwd');
    if (passwd && !/^[^:\n]+:x:10001:10001:/m.test(tar(['-xzOf', passwd.blob, `./${passwd.entry.path}`]))) problem('/etc/passwd has no user 10001');

    const packages = new Set<string>();
    for (const path of files.keys()) {
      if (/\.spec\.js$/.test(path)) problem(`ships a spec: /${path}`);
      const dir = path.startsWith('app/node_modules/') ? packageDirOf(path.slice('app/node_modules/'.length)) : undefined;
      if (dir !== undefined) packages.add(dir);
    }
    for (const prefix of ['app/dist/test', 'app/dist/libs/testing', 'app/dist/infra/bench', 'app/node_modules/.bin']) {
      if (files.has(prefix)) problem(`ships /${prefix}, which is not for production`);
    }
    for (const dir of packages) {
      const name = dir.split('/node_modules/').pop() ?? dir;
      if (TOOLING.some((pattern) => pattern.test(name))) problem(`ships build or lint tooling: /app/node_modules/${dir}`);
    }
    if (options.lockfile) {
      for (const dir of devOnlyPackages(options.lockfile)) if (packages.has(dir)) problem(`ships a dev-only package: /app/node_modules/${dir}`);
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { lockfile: { type: 'string' }, 'max-mb': { type: 'string' } },
  });
  if (positionals.length !== 1) throw new Error('usage: verify IMAGE.tar [--lockfile package-lock.json] [--max-mb 300]');
  const lockfile = values.lockfile ?? (existsSync('package-lock.json') ? 'package-lock.json' : undefined);
  const maxBytes = values['max-mb'] ? Number(values['max-mb']) * 1e6 : undefined;
  const result = verifyImageArchive(positionals[0], { lockfile, maxBytes });
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  if (result.problems.length > 0) {
    process.stderr.write(`image check failed for ${positionals[0]}:\n${result.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(1);
  }
  process.stdout.write(`image OK: ${result.name}, ${result.files} files, ${mb(result.unpackedBytes)} unpacked, ${mb(result.compressedBytes)} compressed${lockfile ? '' : ' (no lockfile: dev-only packages not checked)'}\n`);
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    process.stderr.write(`verify: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
