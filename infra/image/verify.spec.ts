import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeOciArchive, type ImageConfig } from './oci-archive';
import { isJunk, packageDirOf } from './prune-rules';
import { EXPECTED_ENTRYPOINT, SERVICES, verifyImageArchive } from './verify';

const work = mkdtempSync(join(tmpdir(), 'tidings-verify-spec-'));
after(() => rmSync(work, { recursive: true, force: true }));

const goodConfig: ImageConfig = { entrypoint: EXPECTED_ENTRYPOINT, user: '10001:10001', workdir: '/app' };

function put(root: string, path: string, content = '', mode = 0o644): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
  chmodSync(join(root, path), mode);
}

/** A tiny image shaped like the real one (a stand-in for Node), plus `extra` files in /app. */
async function image(label: string, extra: string[] = [], config = goodConfig): Promise<string> {
  const base = join(work, label, 'base');
  put(base, 'usr/local/bin/node', '#!stand-in\n', 0o755);
  for (const lib of ['lib64/ld-linux-x86-64.so.2', 'lib/x86_64-linux-gnu/libc.so.6', 'usr/lib/x86_64-linux-gnu/libstdc++.so.6', 'lib/x86_64-linux-gnu/libgcc_s.so.1']) put(base, lib);
  put(base, 'etc/passwd', 'root:x:0:0:root:/root:/sbin/nologin\ntidings:x:10001:10001:tidings:/tmp:/sbin/nologin\n');
  put(base, 'etc/group', 'tidings:x:10001:\n');
  mkdirSync(join(base, 'tmp'));
  chmodSync(join(base, 'tmp'), 0o1777);
  const app = join(work, label, 'app');
  put(app, 'app/package.json', '{}');
  put(app, 'app/dist/services/subscriptions/src/cli/tidings-cli.js');
  for (const name of SERVICES) put(app, `app/dist/services/${name}/src/main.js`);
  put(app, 'app/node_modules/kafkajs/package.json', '{}');
  for (const path of extra) put(app, path, 'x'.repeat(100));
  const out = join(work, `${label}.tar`);
  await writeOciArchive({ name: `tidings/tidings:${label}`, layers: [base, app], config, out });
  return out;
}

describe('verifyImageArchive', () => {
  it('passes an image with the expected config, files and nothing else', async () => {
    const result = verifyImageArchive(await image('good'));
    assert.deepEqual(result.problems, []);
    assert.equal(result.name, 'docker.io/tidings/tidings:good');
  });

  it('fails on a dev tool, a dev-only package of the lockfile, a spec and the test harness', async () => {
    const lockfile = join(work, 'package-lock.json');
    writeFileSync(lockfile, JSON.stringify({ packages: { 'node_modules/left-pad': { dev: true }, 'node_modules/kafkajs': {} } }));
    const archive = await image('dev', [
      'app/node_modules/typescript/package.json',
      'app/node_modules/kafkajs/node_modules/@swc/core/index.js',
      'app/node_modules/left-pad/index.js',
      'app/dist/services/trigger/src/trigger.integration.spec.js',
      'app/dist/libs/testing/src/index.js',
    ]);
    const { problems } = verifyImageArchive(archive, { lockfile });
    assert.deepEqual(problems.sort(), [
      'ships /app/dist/libs/testing, which is not for production',
      'ships a dev-only package: /app/node_modules/left-pad',
      'ships a spec: /app/dist/services/trigger/src/trigger.integration.spec.js',
      'ships build or lint tooling: /app/node_modules/kafkajs/node_modules/@swc/core',
      'ships build or lint tooling: /app/node_modules/typescript',
    ]);
  });

  it('fails on the wrong entrypoint, user or working directory', async () => {
    const archive = await image('config', [], { entrypoint: ['node'], user: '0', workdir: '/' });
    const { problems } = verifyImageArchive(archive);
    assert.equal(problems.length, 3);
    assert.match(problems[0], /^entrypoint is \["node"\], expected/);
    assert.match(problems[1], /^user is "0", expected 10001/);
    assert.match(problems[2], /^working directory is "\/", expected \/app/);
  });

  it('fails over the size limit, and when there is no archive', async () => {
    const archive = await image('size', ['app/big.bin']);
    assert.deepEqual(verifyImageArchive(archive, { maxBytes: 50 }).problems, ['unpacked size 0.0 MB is over the 0 MB limit']);
    assert.deepEqual(verifyImageArchive(join(work, 'nothing.tar')).problems, [`no such archive: ${join(work, 'nothing.tar')}`]);
  });
});

describe('prune rules', () => {
  it('finds the package folder of a file, nested and scoped ones included', () => {
    assert.equal(packageDirOf('kafkajs/src/index.js'), 'kafkajs');
    assert.equal(packageDirOf('@opentelemetry/sdk-node/node_modules/@opentelemetry/core/build/src/x.js'), '@opentelemetry/sdk-node/node_modules/@opentelemetry/core');
    assert.equal(packageDirOf('@scope'), undefined);
  });

  it('drops prose, declarations, maps, ESM and bundler builds and top-level test folders, never code in a folder named doc', () => {
    for (const junk of ['README.md', 'lib/index.d.ts', 'build/src/index.js.map', 'src/index.ts', 'test/a.js', 'CHANGELOG', 'tsconfig.json', 'build/esm/index.js', 'dist/esm5/a.js']) assert.equal(isJunk(junk), true, junk);
    for (const code of ['index.js', 'dist/doc/Document.js', 'lib/test/helper.js', 'LICENSE', 'package.json', 'index.cjs', 'index.mjs']) assert.equal(isJunk(code), false, code);
  });
});
