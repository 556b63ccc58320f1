/**
 * What the image leaves out of the packages it ships, as pure functions of a path relative to
 * node_modules, so the trace (infra/image/trace-loads.sh) can prove that no file the services
 * load is ever dropped, and the pruner (prune-modules.ts) applies exactly the same rules.
 */

/** `@scope/a/node_modules/b/lib/x.js` → `@scope/a/node_modules/b`; undefined outside a package. */
export function packageDirOf(relativePath: string): string | undefined {
  const parts = relativePath.split('/');
  const dir: string[] = [];
  let i = 0;
  for (;;) {
    const width = parts[i]?.startsWith('@') ? 2 : 1;
    if (i + width > parts.length) return undefined;
    dir.push(...parts.slice(i, i + width));
    i += width;
    if (parts[i] !== 'node_modules') return dir.join('/');
    dir.push('node_modules');
    i += 1;
  }
}

/** The part of an absolute path after its first `node_modules/`, or undefined. */
export function underNodeModules(path: string): string | undefined {
  const at = path.indexOf('/node_modules/');
  return at === -1 ? undefined : path.slice(at + '/node_modules/'.length);
}

// Top-level folders of a package that none loads from at run time (tests, docs, examples, CI
// settings). Only at the top: deeper, such names can be code (yaml's dist/doc is).
const JUNK_DIRS = new Set(['test', 'tests', 'spec', 'specs', '__tests__', '__mocks__', 'example', 'examples', 'docs', 'doc', 'benchmark', 'benchmarks', 'coverage', '.github']);

// Builds for bundlers and ESM importers, at any depth (OpenTelemetry's build/esm and
// build/esnext, rxjs' dist/esm5, typeorm's browser): the services are CommonJS and require()
// the CommonJS build of every package, as the trace shows.
const OTHER_BUILD_DIRS = new Set(['esm', 'esnext', 'esm5', 'esm2015', 'browser', 'bundles', 'umd']);

// Declarations, source maps of dependencies (their sources are not shipped), TypeScript and Flow
// sources, and prose. LICENSE and NOTICE files stay.
const JUNK_FILES = [
  /\.[cm]?ts$/,
  /\.map$/,
  /\.tsbuildinfo$/,
  /\.flow$/,
  /\.(md|markdown)$/i,
  /^(changelog|history|contributing|authors|code_of_conduct)(\.[a-z]+)?$/i,
  /^\.(npmignore|eslintrc.*|prettierrc.*|editorconfig|travis\.yml|gitattributes|nycrc.*)$/,
  /^tsconfig(\..+)?\.json$/,
];

/**
 * True when the path inside a package (relative to the package's own folder, nested
 * node_modules excluded) is left out of the image.
 */
export function isJunk(pathInPackage: string): boolean {
  const parts = pathInPackage.split('/');
  const name = parts[parts.length - 1];
  if (parts.length > 1 && JUNK_DIRS.has(parts[0])) return true;
  if (parts.slice(0, -1).some((dir) => OTHER_BUILD_DIRS.has(dir))) return true;
  return JUNK_FILES.some((pattern) => pattern.test(name));
}

/** True for a folder the pruner drops whole; `topLevel` when directly in the package's folder. */
export function isJunkDir(name: string, topLevel: boolean): boolean {
  return (topLevel && JUNK_DIRS.has(name)) || OTHER_BUILD_DIRS.has(name);
}
