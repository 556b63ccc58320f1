// Lint: typed TypeScript rules for async safety, and Nx's module boundaries, which fail the
// build when a lib imports a service, a service imports another service, or anything reaches
// into a lib past its barrel; and size rules (issue 15) that fail a non-test source over 400
// lines, a function over 6 parameters, a constructor or `deps` object over 6 collaborators,
// and a `process.env` read outside the config lib and the entry points.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import tidings from './eslint-rules/tidings-plugin.mjs';

/** Non-test sources: what ships, and the scripts that build and check it. */
const NON_TEST_SOURCES = ['libs/**/*.ts', 'services/**/*.ts', 'infra/**/*.ts'];
const TEST_SOURCES = ['**/*.spec.ts', 'libs/testing/**', 'libs/test-env/**'];

/**
 * Where `process.env` may be read: the config lib (which validates it), each service's entry
 * points, and the CLI's. Everything else is handed its config (infra/ scripts, libs/testing and
 * specs are outside this rule's files).
 */
const ENV_READERS = ['libs/config/**', 'services/*/src/main.ts', 'services/*/src/instrumentation.ts', 'services/subscriptions/src/cli/tidings-cli.ts'];
const ENV_MESSAGE = 'Read the environment through @tidings/config (loadConfigOrExit hands the loader process.env); only libs/config and entry points (main.ts, instrumentation.ts, the CLI) read process.env.';

const SERVICE_SCOPES = ['scope:subscriptions', 'scope:trigger', 'scope:publisher', 'scope:egress'];

/**
 * Direct-import constraints (onlyDependOnLibsWithTags): a service or lib depends only on libs;
 * production code depends only on shared libs, so no service reaches into another service and
 * the test harness stays out of what ships.
 */
function boundaries({ testCode }) {
  const allowedScopes = testCode ? ['scope:shared', 'scope:testing'] : ['scope:shared'];
  const harness = testCode ? ['layer:testing'] : [];
  return {
    enforceBuildableLibDependency: false,
    allow: [],
    depConstraints: [
      { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:lib'] },
      { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
      { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib'] },
      // The console runs in a browser: it takes only the contracts' zod-free entry point.
      { sourceTag: 'scope:console', onlyDependOnLibsWithTags: ['layer:contracts'] },
      { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: allowedScopes },
      // Layers, bottom up: contracts (records, topics, headers: zod and nothing else), then
      // framework-free utilities (config, Kafka, signing, telemetry ...), then the Nest adapters.
      // Specs may also use the test harness (layer:testing).
      { sourceTag: 'layer:contracts', onlyDependOnLibsWithTags: ['layer:contracts', ...harness], allowedExternalImports: ['zod', 'node:*'] },
      { sourceTag: 'layer:core', onlyDependOnLibsWithTags: ['layer:contracts', 'layer:core', ...harness], bannedExternalImports: ['@nestjs/*'] },
      { sourceTag: 'layer:nest', onlyDependOnLibsWithTags: ['layer:contracts', 'layer:core', 'layer:nest', ...harness] },
      ...SERVICE_SCOPES.map((scope) => ({ sourceTag: scope, onlyDependOnLibsWithTags: allowedScopes })),
    ],
  };
}

export default [
  { ignores: ['dist/**', 'node_modules/**', '.local/**', '.nx/**', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { '@nx': nx },
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': ['error', boundaries({ testCode: false })],
    },
  },
  {
    files: [...NON_TEST_SOURCES, 'apps/**/*.ts', 'apps/**/*.tsx'],
    ignores: TEST_SOURCES,
    plugins: { tidings },
    rules: {
      'max-lines': ['error', { max: 400, skipBlankLines: false, skipComments: false }],
      'max-params': ['error', { max: 6 }],
      'tidings/max-collaborators': ['error', { max: 6 }],
    },
  },
  {
    files: ['libs/**/*.ts', 'services/**/*.ts'],
    ignores: [...TEST_SOURCES, ...ENV_READERS],
    rules: {
      // Also refuses `const { env } = process`.
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: ENV_MESSAGE }],
      // `import { env } from 'node:process'` is a read too.
      'no-restricted-syntax': [
        'error',
        { selector: "ImportDeclaration[source.value=/^(node:)?process$/] > ImportSpecifier[imported.name='env']", message: ENV_MESSAGE },
      ],
    },
  },
  {
    // The helm test checks run in the pruned production image by path: Node built-ins and each other only.
    files: ['infra/helm-test/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!node:|\\./)', message: 'infra/helm-test uses Node built-ins only (node:*) and its own files' }] }],
    },
  },
  {
    // node:test's describe/it return promises the runner itself awaits.
    files: ['**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      // Tests (and only tests) may use the harness in libs/testing.
      '@nx/enforce-module-boundaries': ['error', boundaries({ testCode: true })],
    },
  },
];
