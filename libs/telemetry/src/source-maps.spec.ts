import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

/** What a process run as the image runs a service (with --enable-source-maps) has maps for. */
function mapsLoaded(preload: string[]): { ours: boolean; dependency: boolean } {
  const script = `
    ${preload.map((p) => `require(${JSON.stringify(p)});`).join('\n')}
    const { findSourceMap } = require('node:module');
    const ours = require.resolve(${JSON.stringify(join(__dirname, 'traceparent.js'))});
    const dependency = require.resolve('typeorm');
    require(ours); require(dependency);
    console.log(JSON.stringify({ ours: findSourceMap(ours) !== undefined, dependency: findSourceMap(dependency) !== undefined }));`;
  return JSON.parse(execFileSync(process.execPath, ['--enable-source-maps', '-e', script], { encoding: 'utf8' })) as ReturnType<typeof mapsLoaded>;
}

describe('source maps', () => {
  it('keeps our own maps and drops those of dependencies (typeorm ships its sources in them)', () => {
    assert.deepEqual(mapsLoaded([]), { ours: true, dependency: true }, 'the flag alone loads both');
    const narrowed = mapsLoaded([join(__dirname, 'source-maps.js')]);
    assert.deepEqual(narrowed, { ours: true, dependency: false });
  });

  it('is the first import of every service, before anything loads a dependency', () => {
    for (const service of ['egress', 'publisher', 'relay', 'subscriptions', 'trigger']) {
      const source = readFileSync(join(__dirname, '../../../../services', service, 'src/instrumentation.ts'), 'utf8');
      const firstImport = source.split('\n').find((line) => line.startsWith('import '));
      assert.equal(firstImport, "import '@tidings/telemetry/source-maps';", service);
    }
  });
});
