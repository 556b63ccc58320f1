// Transpiles every TypeScript source (libs, services, test, infra) into dist/ with SWC, bundles
// the console (apps/console) with esbuild,
// keeping the folder layout. Type checking is `tsc --noEmit` (npm run typecheck); SWC only
// strips types, emits decorator metadata for Nest's DI, and rewrites the @tidings/* aliases
// of tsconfig.base.json into relative paths, so dist/ runs on plain Node.
import { transformFile } from '@swc/core';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(root, 'dist');
const sourceDirs = ['libs', 'services', 'test', 'infra'];

const { compilerOptions } = JSON.parse(await readFile(join(root, 'tsconfig.base.json'), 'utf8'));

async function* typescriptFiles(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') yield* typescriptFiles(path);
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      yield path;
    }
  }
}

const options = (file) => ({
  filename: file,
  sourceMaps: true,
  swcrc: false,
  module: { type: 'commonjs', strictMode: true },
  jsc: {
    target: 'es2023',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    keepClassNames: true,
    baseUrl: root,
    paths: compilerOptions.paths,
  },
});

const started = Date.now();
await rm(out, { recursive: true, force: true });
let count = 0;
const jobs = [];
for (const dir of sourceDirs) {
  for await (const file of typescriptFiles(join(root, dir))) {
    jobs.push(
      (async () => {
        const target = join(out, relative(root, file)).replace(/\.ts$/, '.js');
        const { code, map } = await transformFile(file, options(file));
        await mkdir(dirname(target), { recursive: true });
        const mapName = `${target.split('/').pop()}.map`;
        await writeFile(target, `${code}\n//# sourceMappingURL=${mapName}\n`);
        if (map) await writeFile(`${target}.map`, map);
        count += 1;
      })(),
    );
  }
}
await Promise.all(jobs);
await buildConsole();
console.error(`[build] ${count} files into dist/, and the console, in ${Date.now() - started} ms`);

/**
 * The console (apps/console) is a browser app: one bundle, its stylesheet and page, into
 * dist/console, which the subscriptions service serves at /console. Nothing comes from a CDN.
 */
async function buildConsole() {
  const { build } = await import('esbuild');
  const source = join(root, 'apps', 'console', 'src');
  const target = join(out, 'console');
  await build({
    entryPoints: [join(source, 'main.tsx')],
    outfile: join(target, 'app.js'),
    bundle: true,
    minify: true,
    sourcemap: true,
    format: 'iife',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: join(root, 'apps', 'console', 'tsconfig.json'),
    logLevel: 'warning',
  });
  await writeFile(join(target, 'app.css'), await readFile(join(source, 'styles.css')));
  await writeFile(join(target, 'index.html'), await readFile(join(source, 'index.html')));
}
