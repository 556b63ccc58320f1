import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '@tidings/testing';

/**
 * What the Helm chart copies or names from the rest of the repo stays in step with it (no helm
 * binary needed; test/k8s/chart-render.spec.ts checks the rendering).
 */
const root = repoRoot();
const read = (path: string) => readFileSync(join(root, path), 'utf8');

describe('helm chart files', () => {
  it('carries infra/observability/prometheus/alerts.yaml unchanged (its PrometheusRule)', () => {
    assert.equal(read('helm/tidings/files/prometheus-alerts.yaml'), read('infra/observability/prometheus/alerts.yaml'), 'copy infra/observability/prometheus/alerts.yaml to helm/tidings/files/prometheus-alerts.yaml');
  });

  it('accepts as config only variables the README documents', () => {
    const firstCells = [...read('README.md').matchAll(/^\| (`[A-Z0-9_]+`[^|]*)\|/gm)].map((m) => m[1]!);
    const documented = new Set(firstCells.flatMap((cell) => [...cell.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]!)));
    assert.ok(documented.has('TRIGGER_PORT') && documented.has('KAFKA_BROKERS'), 'the Configuration table was not found');
    const schema = JSON.parse(read('helm/tidings/values.schema.json')) as { properties: { config: { properties: Record<string, unknown> } } };
    const values = parseYaml(read('helm/tidings/values.yaml')) as { config: Record<string, unknown> };
    for (const name of [...Object.keys(schema.properties.config.properties), ...Object.keys(values.config)]) {
      assert.ok(documented.has(name), `${name} is not in the README's Configuration table`);
    }
  });
});
