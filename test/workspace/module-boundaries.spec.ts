import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import { repoRoot } from '@tidings/testing';

/**
 * The Nx boundary rules must be able to fail. Probe sources are linted with the workspace's
 * real eslint.config.mjs, at paths inside real projects, and must be refused (or accepted).
 */
const eslint = new ESLint({
  cwd: repoRoot(),
  overrideConfig: [
    {
      // Probes are not on disk, so no type information: switch off only the typed rules.
      files: ['**/__probe__.ts'],
      languageOptions: { parserOptions: { projectService: false } },
      rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off', '@typescript-eslint/await-thenable': 'off' },
    },
  ],
});

async function boundaryErrors(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: `${repoRoot()}/${filePath}` });
  return result!.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('module boundaries', () => {
  it('accepts a service importing a lib through its alias', async () => {
    assert.deepEqual(await boundaryErrors('services/egress/src/__probe__.ts', "import { rules } from '@tidings/config';\nexport const r = rules;\n"), []);
  });

  it('refuses a lib importing a service', async () => {
    const errors = await boundaryErrors('libs/contracts/src/__probe__.ts', "import { EgressModule } from '../../../services/egress/src/egress.module';\nexport const m = EgressModule;\n");
    assert.ok(errors.length > 0, 'expected a boundary error');
  });

  it('refuses a service importing another service', async () => {
    const errors = await boundaryErrors('services/publisher/src/__probe__.ts', "import { loadTriggerConfig } from '../../trigger/src/trigger-config';\nexport const f = loadTriggerConfig;\n");
    assert.ok(errors.length > 0, 'expected a boundary error');
  });

  it('refuses a shared lib depending on the test harness', async () => {
    const errors = await boundaryErrors('libs/kafka/src/__probe__.ts', "import { waitFor } from '@tidings/testing';\nexport const w = waitFor;\n");
    assert.match(errors.join('\n'), /scope:shared/);
  });

  it('refuses production service code depending on the test harness', async () => {
    const errors = await boundaryErrors('services/publisher/src/__probe__.ts', "import { waitFor } from '@tidings/testing';\nexport const w = waitFor;\n");
    assert.ok(errors.length > 0, 'expected a boundary error');
  });

  it('refuses a deep import past a lib barrel', async () => {
    const errors = await boundaryErrors('services/egress/src/__probe__.ts', "import { rules } from '../../../libs/config/src/env-rules';\nexport const r = rules;\n");
    assert.ok(errors.length > 0, 'expected a boundary error');
  });
});
