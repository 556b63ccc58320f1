import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import { repoRoot } from '@tidings/testing';

/**
 * The size and environment rules of eslint.config.mjs (issue 15) must be able to fail. Probe
 * sources are linted with the workspace's real config at paths inside real projects; each
 * probe is refused by the rule it names and by no other, and the limit itself is accepted.
 */
const eslint = new ESLint({
  cwd: repoRoot(),
  overrideConfig: [
    {
      // Probes are not on disk, so no type information: switch off only the typed rules.
      files: ['**/__probe__.ts', '**/__probe__.spec.ts', '**/main.ts'],
      languageOptions: { parserOptions: { projectService: false } },
      rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off', '@typescript-eslint/await-thenable': 'off' },
    },
  ],
});

/** The rule ids that refuse `source` at `filePath` (one entry per message). */
async function ruleErrors(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: `${repoRoot()}/${filePath}` });
  return result!.messages.map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

/** A module of exactly `count` lines (each a statement), ending with a newline. */
function linesOf(count: number): string {
  return `${Array.from({ length: count }, (_, i) => `export const v${i} = ${i};`).join('\n')}\n`;
}

function params(count: number): string {
  return Array.from({ length: count }, (_, i) => `p${i}: number`).join(', ');
}

function fields(count: number): string {
  return Array.from({ length: count }, (_, i) => `f${i}: number;`).join(' ');
}

describe('lint rules: size', () => {
  it('refuses a non-test source of 401 lines, by max-lines', async () => {
    assert.deepEqual(await ruleErrors('libs/contracts/src/__probe__.ts', linesOf(401)), ['max-lines']);
  });

  it('accepts a source of exactly 400 lines', async () => {
    assert.deepEqual(await ruleErrors('libs/contracts/src/__probe__.ts', linesOf(400)), []);
  });

  it('applies max-lines to services and infra too, but not to specs', async () => {
    assert.deepEqual(await ruleErrors('services/publisher/src/__probe__.ts', linesOf(401)), ['max-lines']);
    assert.deepEqual(await ruleErrors('infra/local/__probe__.ts', linesOf(401)), ['max-lines']);
    assert.deepEqual(await ruleErrors('services/publisher/src/__probe__.spec.ts', linesOf(401)), []);
  });

  it('refuses a function of 7 parameters, by max-params', async () => {
    const source = `export function f(${params(7)}): number {\n  return p0 + p6;\n}\n`;
    assert.deepEqual(await ruleErrors('services/egress/src/__probe__.ts', source), ['max-params']);
  });

  it('accepts a function of 6 parameters', async () => {
    const source = `export function f(${params(6)}): number {\n  return p0 + p5;\n}\n`;
    assert.deepEqual(await ruleErrors('services/egress/src/__probe__.ts', source), []);
  });

  it('refuses a constructor whose deps object has 7 fields, by tidings/max-collaborators', async () => {
    const source = `export class C {\n  constructor(private readonly deps: { ${fields(7)} }) {}\n  get f(): number {\n    return this.deps.f0;\n  }\n}\n`;
    assert.deepEqual(await ruleErrors('services/publisher/src/__probe__.ts', source), ['tidings/max-collaborators']);
  });

  it('counts the other constructor parameters with the deps fields (2 + 5 = 7)', async () => {
    const source = `export class C {\n  constructor(readonly a: number, readonly b: number, readonly deps: { ${fields(5)} }) {}\n}\n`;
    assert.deepEqual(await ruleErrors('services/publisher/src/__probe__.ts', source), ['tidings/max-collaborators']);
  });

  it('refuses a function taking a deps object of 7 fields', async () => {
    const source = `export function make(deps: { ${fields(7)} }): number {\n  return deps.f0;\n}\n`;
    assert.deepEqual(await ruleErrors('libs/kafka/src/__probe__.ts', source), ['tidings/max-collaborators']);
  });

  it('accepts a constructor of 6 collaborators (1 parameter + a deps object of 5 fields)', async () => {
    const source = `export class C {\n  constructor(readonly a: number, readonly deps: { ${fields(5)} }) {}\n}\n`;
    assert.deepEqual(await ruleErrors('services/publisher/src/__probe__.ts', source), []);
  });
});

describe('lint rules: deps of a named type', () => {
  it('counts the fields of a deps interface declared in the same file (7), by tidings/max-collaborators', async () => {
    const source = `interface Deps { ${fields(7)} }\nexport class C {\n  constructor(private readonly deps: Deps) {}\n  get f(): number {\n    return this.deps.f0;\n  }\n}\n`;
    assert.deepEqual(await ruleErrors('services/publisher/src/__probe__.ts', source), ['tidings/max-collaborators']);
  });

  it('counts a deps type alias with the other parameters (1 + 6 = 7)', async () => {
    const source = `export type Deps = { ${fields(6)} };\nexport class C {\n  constructor(readonly a: number, readonly deps: Deps) {}\n}\n`;
    assert.deepEqual(await ruleErrors('libs/kafka/src/__probe__.ts', source), ['tidings/max-collaborators']);
  });

  it('accepts a deps interface of 6 fields, and never expands a named type not called deps', async () => {
    assert.deepEqual(await ruleErrors('services/publisher/src/__probe__.ts', `interface Deps { ${fields(6)} }\nexport class C {\n  constructor(readonly deps: Deps) {}\n}\n`), []);
    assert.deepEqual(await ruleErrors('services/publisher/src/__probe__.ts', `interface Big { ${fields(9)} }\nexport class C {\n  constructor(readonly client: Big) {}\n}\n`), []);
  });
});

describe('lint rules: process.env', () => {
  const read = 'export const port = process.env.PORT;\n';

  it('refuses a process.env read in a lib, by no-restricted-properties', async () => {
    assert.deepEqual(await ruleErrors('libs/kafka/src/__probe__.ts', read), ['no-restricted-properties']);
  });

  it('refuses a process.env read in service code, by no-restricted-properties', async () => {
    assert.deepEqual(await ruleErrors('services/publisher/src/__probe__.ts', read), ['no-restricted-properties']);
  });

  it('refuses process.env taken by destructuring, by no-restricted-properties', async () => {
    assert.deepEqual(await ruleErrors('libs/kafka/src/__probe__.ts', 'const { env } = process;\nexport const port = env.PORT;\n'), ['no-restricted-properties']);
  });

  it('refuses env imported from node:process, by no-restricted-syntax', async () => {
    assert.deepEqual(await ruleErrors('libs/kafka/src/__probe__.ts', "import { env } from 'node:process';\nexport const port = env.PORT;\n"), ['no-restricted-syntax']);
  });

  it('accepts a process.env read in libs/config, an entry point, infra, the test harness and specs', async () => {
    for (const path of ['libs/config/src/__probe__.ts', 'services/egress/src/main.ts', 'services/egress/src/instrumentation.ts', 'infra/local/__probe__.ts', 'libs/testing/src/__probe__.ts', 'services/egress/src/__probe__.spec.ts']) {
      assert.deepEqual(await ruleErrors(path, read), [], path);
    }
  });
});
