import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { checkSources, type Source } from './crd-check';

// Small stand-ins for the three CRDs crds.sh publishes: only what the checks look at.
const KAFKA_TOPIC = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: kafkatopics.kafka.strimzi.io
spec:
  group: kafka.strimzi.io
  names: { kind: KafkaTopic, plural: kafkatopics }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      additionalPrinterColumns:
        - { name: Cluster, jsonPath: '.metadata.labels.strimzi\\.io/cluster', type: string }
      schema:
        openAPIV3Schema:
          type: object
          properties:
            metadata: { type: object }
            spec:
              type: object
              properties:
                topicName: { type: string }
                partitions: { type: integer, minimum: 1 }
                replicas: { type: integer }
                config: { type: object, x-kubernetes-preserve-unknown-fields: true }
`;

const SERVICE_MONITOR = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: servicemonitors.monitoring.coreos.com }
spec:
  group: monitoring.coreos.com
  names: { kind: ServiceMonitor, plural: servicemonitors }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                selector: { type: object, x-kubernetes-preserve-unknown-fields: true }
                endpoints:
                  type: array
                  items:
                    type: object
                    properties:
                      port: { type: string }
                      path: { type: string }
                      interval: { type: string }
                      relabelings: { type: array, items: { type: object } }
                      targetPort: { anyOf: [{ type: integer }, { type: string }], x-kubernetes-int-or-string: true }
`;

const PROMETHEUS_RULE = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: prometheusrules.monitoring.coreos.com }
spec:
  group: monitoring.coreos.com
  names: { kind: PrometheusRule, plural: prometheusrules }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                groups:
                  type: array
                  items:
                    type: object
                    properties:
                      name: { type: string }
                      rules:
                        type: array
                        items:
                          type: object
                          properties:
                            alert: { type: string }
                            expr: { anyOf: [{ type: integer }, { type: string }], x-kubernetes-int-or-string: true }
                            for: { type: string }
                            # Prometheus Operator's enums hold a bare "=": a string, not YAML 1.1's value tag.
                            action: { type: string, enum: [=, '!='] }
`;

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  [keyword: string]: unknown;
}

interface Version {
  name: string;
  served: unknown;
  storage: unknown;
  schema?: { openAPIV3Schema: Schema };
  additionalPrinterColumns?: { name: string; jsonPath: string; type: string }[];
}

interface Crd {
  metadata: { name: string };
  spec: { group: string; names: { kind: string; plural: string }; versions: Version[] };
}

const GOOD: Record<string, string> = {
  'kafka.strimzi.io_kafkatopics.yaml': KAFKA_TOPIC,
  'monitoring.coreos.com_prometheusrules.yaml': PROMETHEUS_RULE,
  'monitoring.coreos.com_servicemonitors.yaml': SERVICE_MONITOR,
};

/** The three good files, with `file` replaced by `text` (or left out when text is undefined). */
function sources(file?: string, text?: string): Source[] {
  return Object.entries(GOOD).flatMap(([path, good]) => {
    if (path !== file) return [{ path, text: good }];
    return text === undefined ? [] : [{ path, text }];
  });
}

/** The errors of the good set with one CRD changed by `change`. */
function errorsWith(file: string, change: (crd: Crd) => void): string[] {
  const crd = parse(GOOD[file]) as Crd;
  change(crd);
  return checkSources(sources(file, stringify(crd))).errors;
}

const KT = 'kafka.strimzi.io_kafkatopics.yaml';
const SM = 'monitoring.coreos.com_servicemonitors.yaml';
const PR = 'monitoring.coreos.com_prometheusrules.yaml';
const v1 = (crd: Crd): Version => crd.spec.versions[0];
const root = (crd: Crd): Schema => v1(crd).schema?.openAPIV3Schema ?? {};
const specOf = (crd: Crd): Record<string, Schema> => root(crd).properties?.spec.properties ?? {};

describe('crd-check', () => {
  it('passes the three CRDs the chart needs, one summary line each', () => {
    assert.deepEqual(checkSources(sources()), {
      summaries: [
        'kafkatopics.kafka.strimzi.io: kind KafkaTopic, served v1, storage v1',
        'prometheusrules.monitoring.coreos.com: kind PrometheusRule, served v1, storage v1',
        'servicemonitors.monitoring.coreos.com: kind ServiceMonitor, served v1, storage v1',
      ],
      errors: [],
    });
  });

  it('fails two storage versions', () => {
    const errors = errorsWith(KT, (crd) => crd.spec.versions.push({ ...structuredClone(v1(crd)), name: 'v1beta2' }));
    assert.deepEqual(errors, ['kafkatopics.kafka.strimzi.io: 2 storage versions, not exactly one']);
  });

  it('fails a version without a schema (and does not look for fields in it)', () => {
    const errors = errorsWith(KT, (crd) => delete v1(crd).schema);
    assert.deepEqual(errors, ['kafkatopics.kafka.strimzi.io v1: no schema.openAPIV3Schema']);
  });

  it('fails when a field the chart writes is gone, at the top or inside array items', () => {
    assert.deepEqual(
      errorsWith(KT, (crd) => delete specOf(crd).replicas),
      ['kafkatopics.kafka.strimzi.io v1: no spec.replicas in the schema'],
    );
    assert.deepEqual(
      errorsWith(SM, (crd) => delete specOf(crd).endpoints.items?.properties?.relabelings),
      ['servicemonitors.monitoring.coreos.com v1: no spec.endpoints[].relabelings in the schema'],
    );
  });

  it('fails another kind', () => {
    const errors = errorsWith(KT, (crd) => (crd.spec.names.kind = 'Topic'));
    assert.deepEqual(errors, ['kafkatopics.kafka.strimzi.io: kind Topic, expected KafkaTopic']);
  });

  it('fails when v1 is not served, naming what is', () => {
    assert.deepEqual(
      errorsWith(KT, (crd) => (v1(crd).served = false)),
      ['kafkatopics.kafka.strimzi.io: version v1 is not served (served: [])'],
    );
    const errors = errorsWith(KT, (crd) => {
      crd.spec.versions.push({ ...structuredClone(v1(crd)), name: 'v1beta2', storage: false });
      v1(crd).served = false;
    });
    assert.deepEqual(errors, ["kafkatopics.kafka.strimzi.io: version v1 is not served (served: ['v1beta2'])"]);
  });

  it('fails a KafkaTopic CRD whose printer column no longer reads the strimzi.io/cluster label', () => {
    const message = 'kafkatopics.kafka.strimzi.io: no printer column on .metadata.labels.strimzi\\.io/cluster (the cluster label changed?)';
    assert.deepEqual(errorsWith(KT, (crd) => (v1(crd).additionalPrinterColumns = [{ name: 'Cluster', jsonPath: '.metadata.labels.cluster', type: 'string' }])), [message]);
    assert.deepEqual(errorsWith(KT, (crd) => delete v1(crd).additionalPrinterColumns), [message]);
  });

  it('fails a schema that is not structural, but allows an int-or-string', () => {
    const errors = errorsWith(KT, (crd) => {
      delete specOf(crd).partitions.type;
      specOf(crd).topicName.anyOf = [{ type: 'string', description: 'a name' }];
      specOf(crd).config.properties = { retention: { type: 'string' } };
      specOf(crd).config.additionalProperties = { type: 'string' };
      specOf(crd).replicas.not = { nullable: true };
      root(crd).type = 'array';
    });
    assert.deepEqual(errors, [
      'kafkatopics.kafka.strimzi.io v1: the root schema is not of type object',
      "kafkatopics.kafka.strimzi.io v1.spec.topicName.anyOf[0]: 'type' inside a combinator",
      "kafkatopics.kafka.strimzi.io v1.spec.topicName.anyOf[0]: 'description' inside a combinator",
      'kafkatopics.kafka.strimzi.io v1.spec.partitions: no type',
      "kafkatopics.kafka.strimzi.io v1.spec.replicas.not: 'nullable' inside a combinator",
      'kafkatopics.kafka.strimzi.io v1.spec.config: both properties and additionalProperties',
    ]);
    // The same anyOf without x-kubernetes-int-or-string is not the allowed exception.
    assert.deepEqual(
      errorsWith(SM, (crd) => delete specOf(crd).endpoints.items?.properties?.targetPort['x-kubernetes-int-or-string']),
      [
        'servicemonitors.monitoring.coreos.com v1.spec.endpoints[].targetPort: no type',
        "servicemonitors.monitoring.coreos.com v1.spec.endpoints[].targetPort.anyOf[0]: 'type' inside a combinator",
        "servicemonitors.monitoring.coreos.com v1.spec.endpoints[].targetPort.anyOf[1]: 'type' inside a combinator",
      ],
    );
  });

  it('fails a schema that restricts metadata beyond name and generateName', () => {
    const errors = errorsWith(KT, (crd) => {
      const metadata = root(crd).properties?.metadata ?? {};
      metadata.properties = { name: { type: 'string' }, labels: { type: 'object' } };
    });
    assert.deepEqual(errors, ['kafkatopics.kafka.strimzi.io v1: metadata is restricted beyond name/generateName']);
  });

  it('fails v1 CRD rules: the name, preserveUnknownFields, served and storage set', () => {
    const errors = errorsWith(PR, (crd) => {
      crd.spec.names.plural = 'rules';
      (crd.spec as Record<string, unknown>).preserveUnknownFields = true;
      v1(crd).served = 'true';
    });
    assert.deepEqual(errors, [
      'prometheusrules.monitoring.coreos.com: metadata.name is not <plural>.<group>',
      'prometheusrules.monitoring.coreos.com: spec.preserveUnknownFields is true (v1 forbids it)',
      'prometheusrules.monitoring.coreos.com v1: served/storage not set',
    ]);
  });

  it('fails a missing CRD, a file of two documents, and anything but the CRDs it knows', () => {
    assert.deepEqual(checkSources(sources(SM)).errors, ['servicemonitors.monitoring.coreos.com: missing']);
    assert.deepEqual(checkSources(sources(SM, `${SERVICE_MONITOR}---\n${PROMETHEUS_RULE}`)).errors, [
      `${SM}: 2 YAML documents, expected one CRD`,
      'servicemonitors.monitoring.coreos.com: missing',
    ]);
    assert.deepEqual(checkSources([...sources(), { path: 'extra.yaml', text: KAFKA_TOPIC.replace(/kafkatopics/g, 'topics') }]).errors, [
      'topics.kafka.strimzi.io: not a CRD the chart needs (no expectations for it)',
    ]);
    assert.deepEqual(checkSources(sources(SM, 'apiVersion: v1\nkind: ConfigMap\n')).errors, [
      'not an apiextensions.k8s.io/v1 CustomResourceDefinition: v1 ConfigMap',
      'servicemonitors.monitoring.coreos.com: missing',
    ]);
  });

  it('reads YAML 1.1 as Kubernetes does, and reports what it cannot read', () => {
    // `served: yes` is a boolean in YAML 1.1; empty documents do not count.
    assert.deepEqual(checkSources(sources(KT, `---\n${KAFKA_TOPIC.replace('served: true', 'served: yes')}---\n# nothing\n`)).errors, []);
    const broken = checkSources(sources(KT, `${KAFKA_TOPIC}  bad: [\n`)).errors;
    assert.equal(broken.length, 2);
    assert.match(broken[0], /^kafka\.strimzi\.io_kafkatopics\.yaml: .* at line \d+, column \d+$/);
    assert.deepEqual(checkSources(sources(KT, '- a list\n')).errors, [`${KT}: the document is not a mapping`, 'kafkatopics.kafka.strimzi.io: missing']);
  });
});
