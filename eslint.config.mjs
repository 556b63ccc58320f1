// Lint: typed TypeScript rules for async safety, and Nx's module boundaries, which fail the
// build when a lib imports a service, a service imports another service, or anything reaches
// into a lib past its barrel.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const SERVICE_SCOPES = ['scope:subscriptions', 'scope:trigger', 'scope:publisher', 'scope:egress'];

/**
 * Direct-import constraints (onlyDependOnLibsWithTags): a service or lib depends only on libs;
 * production code depends only on shared libs, so no service reaches into another service and
 * the test harness stays out of what ships.
 */
function boundaries({ testCode }) {
  const allowedScopes = testCode ? ['scope:shared', 'scope:testing'] : ['scope:shared'];
  return {
    enforceBuildableLibDependency: false,
    allow: [],
    depConstraints: [
      { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:lib'] },
      { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
      { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib'] },
      { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: allowedScopes },
      ...SERVICE_SCOPES.map((scope) => ({ sourceTag: scope, onlyDependOnLibsWithTags: allowedScopes })),
    ],
  };
}

export default [
  { ignores: ['dist/**', 'node_modules/**', '.local/**', '.nx/**', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
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
