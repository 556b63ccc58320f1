import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { before, describe, it } from 'node:test';
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

/** `rule: message` for each message refusing `source` at `filePath`. */
async function ruleMessages(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: `${repoRoot()}/${filePath}` });
  return result!.messages.map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
}

// The boundary rule skips itself, silently, without Nx's project graph: make sure there is one.
before(() => {
  execFileSync(process.execPath, ['node_modules/nx/bin/nx.js', 'show', 'projects'], { cwd: repoRoot(), env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' }, stdio: 'ignore' });
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
    // secret-box: a lib the harness does not depend on, so no cycle is reported instead.
    const errors = await boundaryErrors('libs/secret-box/src/__probe__.ts', "import { waitFor } from '@tidings/testing';\nexport const w = waitFor;\n");
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

/**
 * Libs are layered by tags (eslint.config.mjs): contracts, below framework-free utilities
 * (`layer:core`), below the Nest adapters (`layer:nest`). Each probe imports through a path
 * alias, as real code does, from a lib that no cycle ties to the import (a cycle is reported
 * instead of the layer), and is refused by the layer constraint it names and nothing else.
 */
describe('module boundaries: lib layers', () => {
  const boundary = '@nx/enforce-module-boundaries';

  it('refuses a contracts import of a utility lib', async () => {
    const source = "import { isPublicAddress } from '@tidings/address-policy';\nexport const probe = isPublicAddress;\n";
    assert.deepEqual(await ruleMessages('libs/contracts/src/__probe__.ts', source), [`${boundary}: A project tagged with "layer:contracts" can only depend on libs tagged with "layer:contracts"`]);
  });

  it('refuses a contracts import of any package but zod', async () => {
    const source = "import { Kafka } from 'kafkajs';\nexport const probe = Kafka;\n";
    assert.deepEqual(await ruleMessages('libs/contracts/src/__probe__.ts', source), [`${boundary}: A project tagged with "layer:contracts" is not allowed to import "kafkajs"`]);
  });

  it('refuses a utility lib import of a Nest adapter lib', async () => {
    const source = "import { ReadinessRegistry } from '@tidings/service-runtime';\nexport const probe = ReadinessRegistry;\n";
    assert.deepEqual(await ruleMessages('libs/secret-box/src/__probe__.ts', source), [`${boundary}: A project tagged with "layer:core" can only depend on libs tagged with "layer:contracts", "layer:core"`]);
  });

  it('refuses Nest in a utility lib', async () => {
    const source = "import { Injectable } from '@nestjs/common';\nexport const probe = Injectable;\n";
    assert.deepEqual(await ruleMessages('libs/secret-box/src/__probe__.ts', source), [`${boundary}: A project tagged with "layer:core" is not allowed to import "@nestjs/common"`]);
  });

  it('accepts each layer importing the layers below it', async () => {
    assert.deepEqual(await ruleMessages('libs/kafka-nest/src/__probe__.ts', "import { SecretBox } from '@tidings/secret-box';\nexport const probe = SecretBox;\n"), []);
    assert.deepEqual(await ruleMessages('libs/secret-box/src/__probe__.ts', "import { INTERNAL_TOPICS } from '@tidings/contracts';\nexport const probe = INTERNAL_TOPICS;\n"), []);
  });
});
