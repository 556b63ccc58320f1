/**
 * Checks CustomResourceDefinition files before a cluster sees them.
 *
 *   node dist/infra/k8s/crd-check.js FILE...   (one summary line per CRD on stdout; exits 1 on any problem)
 *
 * No API server runs here, so this repeats the checks that decide whether Kubernetes 1.34 accepts
 * an apiextensions.k8s.io/v1 CRD (one storage version, a structural schema per version), then
 * checks what the Tidings chart relies on: the kinds, their served versions, and the fields its
 * templates set. A new upstream version that drops one of those fails here, not in the cluster.
 * Used by infra/k8s/crds.sh; see infra/k8s/CRDS.md.
 */
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments } from 'yaml';

export interface Expectation {
  kind: string;
  version: string;
  /** Schema paths the chart's templates write ("[]" steps into array items). */
  fields: string[];
  printerColumn?: string;
}

// What the chart's optional resources need of each CRD: the kind, a version to be served, and
// the schema paths its templates write.
export const EXPECTED = new Map<string, Expectation>([
  [
    'servicemonitors.monitoring.coreos.com',
    {
      kind: 'ServiceMonitor',
      version: 'v1',
      fields: ['spec.selector', 'spec.endpoints[].port', 'spec.endpoints[].path', 'spec.endpoints[].interval', 'spec.endpoints[].relabelings'],
    },
  ],
  [
    'prometheusrules.monitoring.coreos.com',
    {
      kind: 'PrometheusRule',
      version: 'v1',
      fields: ['spec.groups[].name', 'spec.groups[].rules[].alert', 'spec.groups[].rules[].expr', 'spec.groups[].rules[].for'],
    },
  ],
  [
    'kafkatopics.kafka.strimzi.io',
    {
      kind: 'KafkaTopic',
      version: 'v1',
      fields: ['spec.topicName', 'spec.partitions', 'spec.replicas', 'spec.config'],
      // Strimzi's own printer column reads the cluster from this label: it is the label the
      // Topic Operator selects its KafkaTopics by, and the one the chart sets.
      printerColumn: '.metadata.labels.strimzi\\.io/cluster',
    },
  ],
]);

const COMBINATORS = ['allOf', 'anyOf', 'oneOf'];
// The one use of type inside a combinator that Kubernetes allows: an int-or-string's branches.
const INT_OR_STRING = [{ type: 'integer' }, { type: 'string' }];

type Mapping = Record<string, unknown>;

/** A document shaped so that no check can be made of it (a list where a mapping belongs). */
export class ShapeError extends Error {}

// The checks were first written in Python; these helpers keep its semantics where JavaScript's
// differ: an empty list or mapping is false, and a missing key differs from an explicit null
// only where a default is given.
function isMapping(value: unknown): value is Mapping {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (isMapping(value)) return Object.keys(value).length > 0;
  if (typeof value === 'number') return value !== 0;
  return Boolean(value);
}

function has(node: Mapping, key: string): boolean {
  return Object.hasOwn(node, key);
}

function get(node: Mapping, key: string): unknown {
  return has(node, key) ? node[key] : undefined;
}

/** `value or {}`, refusing anything else that would not be a mapping. */
function mappingOr(value: unknown, where: string): Mapping {
  if (!truthy(value)) return {};
  if (isMapping(value)) return value;
  throw new ShapeError(`${where}: not a mapping`);
}

/** `value or []` as a loop sees it: a mapping yields its keys, a string its characters. */
function itemsOf(value: unknown, where: string): unknown[] {
  if (!truthy(value)) return [];
  if (Array.isArray(value)) return value;
  if (isMapping(value)) return Object.keys(value);
  if (typeof value === 'string') return [...value];
  throw new ShapeError(`${where}: not a list`);
}

/** How a value reads in a message: None for a missing value, lists as ['a', 'b']. */
function show(value: unknown): string {
  if (value === undefined || value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(quoted).join(', ')}]`;
  if (isMapping(value)) return `{${Object.entries(value).map(([k, v]) => `${quoted(k)}: ${quoted(v)}`).join(', ')}}`;
  return String(value);
}

function quoted(value: unknown): string {
  if (typeof value !== 'string') return show(value);
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  const escaped = value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  return quote + (quote === "'" ? escaped.replace(/'/g, "\\'") : escaped) + quote;
}

/** Kubernetes' structural-schema rules, the ones a generator can get wrong. */
export function structural(node: unknown, path: string, errors: string[], inCombinator = false): void {
  if (!isMapping(node)) {
    errors.push(`${path}: not a schema object`);
    return;
  }
  if (inCombinator) {
    // Inside allOf/anyOf/oneOf/not only value validations are allowed.
    for (const key of ['type', 'description', 'default', 'additionalProperties', 'nullable']) {
      if (has(node, key)) errors.push(`${path}: '${key}' inside a combinator`);
    }
  } else if (!(truthy(get(node, 'type')) || truthy(get(node, 'x-kubernetes-int-or-string')) || truthy(get(node, 'x-kubernetes-preserve-unknown-fields')))) {
    errors.push(`${path}: no type`);
  }
  const additional = get(node, 'additionalProperties');
  if (has(node, 'properties') && isMapping(additional)) errors.push(`${path}: both properties and additionalProperties`);
  for (const [name, child] of Object.entries(mappingOr(get(node, 'properties'), `${path}.properties`))) {
    structural(child, `${path}.${name}`, errors, inCombinator);
  }
  if (isMapping(additional)) structural(additional, `${path}.*`, errors, inCombinator);
  if (has(node, 'items')) structural(node.items, `${path}[]`, errors, inCombinator);
  for (const key of COMBINATORS) {
    if (key === 'anyOf' && truthy(get(node, 'x-kubernetes-int-or-string')) && isDeepStrictEqual(get(node, key), INT_OR_STRING)) continue;
    itemsOf(get(node, key), `${path}.${key}`).forEach((child, i) => structural(child, `${path}.${key}[${i}]`, errors, true));
  }
  if (has(node, 'not')) structural(node.not, `${path}.not`, errors, true);
}

/** Whether the schema has the dotted path; anything not a mapping on the way counts as absent. */
export function hasField(schema: unknown, dotted: string): boolean {
  let node = schema;
  for (const step of dotted.split('.')) {
    const array = step.endsWith('[]');
    const properties = isMapping(node) ? get(node, 'properties') : undefined;
    node = isMapping(properties) ? get(properties, array ? step.slice(0, -2) : step) : undefined;
    if (node === undefined || node === null) return false;
    if (array) {
      node = isMapping(node) ? get(node, 'items') : undefined;
      if (node === undefined || node === null) return false;
    }
  }
  return true;
}

/** Checks one CRD document, adding to `errors`; returns its summary line if the chart needs it. */
export function checkCrd(doc: unknown, errors: string[]): string | undefined {
  if (!isMapping(doc)) throw new ShapeError('the document is not a mapping');
  if (get(doc, 'apiVersion') !== 'apiextensions.k8s.io/v1' || get(doc, 'kind') !== 'CustomResourceDefinition') {
    errors.push(`not an apiextensions.k8s.io/v1 CustomResourceDefinition: ${show(get(doc, 'apiVersion'))} ${show(get(doc, 'kind'))}`);
    return undefined;
  }
  const spec = mappingOr(get(doc, 'spec'), 'spec');
  const metadata = mappingOr(get(doc, 'metadata'), 'metadata');
  const name = has(metadata, 'name') ? metadata.name : '';
  const names = mappingOr(get(spec, 'names'), 'spec.names');
  const group = has(spec, 'group') ? spec.group : '';
  const crd = show(name);
  if (name !== `${show(get(names, 'plural'))}.${show(group)}`) errors.push(`${crd}: metadata.name is not <plural>.<group>`);
  if (truthy(get(spec, 'preserveUnknownFields'))) errors.push(`${crd}: spec.preserveUnknownFields is true (v1 forbids it)`);
  const versions = itemsOf(get(spec, 'versions'), 'spec.versions').map((v, i) => {
    if (!isMapping(v)) throw new ShapeError(`spec.versions[${i}]: not a mapping`);
    return v;
  });
  if (versions.length === 0) errors.push(`${crd}: no versions`);
  const storage = versions.filter((v) => get(v, 'storage') === true).map((v) => get(v, 'name'));
  if (storage.length !== 1) errors.push(`${crd}: ${storage.length} storage versions, not exactly one`);
  const served: unknown[] = [];
  for (const v of versions) {
    const where = `${crd} ${show(get(v, 'name'))}`;
    if (typeof get(v, 'served') !== 'boolean' || typeof get(v, 'storage') !== 'boolean') errors.push(`${where}: served/storage not set`);
    if (truthy(get(v, 'served'))) served.push(get(v, 'name'));
    const schema = get(mappingOr(get(v, 'schema'), `${where}: schema`), 'openAPIV3Schema');
    if (!truthy(schema)) {
      errors.push(`${where}: no schema.openAPIV3Schema`);
      continue;
    }
    if (!isMapping(schema)) throw new ShapeError(`${where}: schema.openAPIV3Schema: not a mapping`);
    if (get(schema, 'type') !== 'object') errors.push(`${where}: the root schema is not of type object`);
    structural(schema, where, errors);
    const meta = mappingOr(get(mappingOr(get(schema, 'properties'), `${where}: properties`), 'metadata'), `${where}: metadata`);
    const extra = Object.keys(mappingOr(get(meta, 'properties'), `${where}: metadata.properties`)).filter((key) => key !== 'name' && key !== 'generateName');
    const restricted = Object.keys(meta).filter((key) => !['type', 'properties', 'description'].includes(key));
    if (extra.length > 0 || restricted.length > 0) errors.push(`${where}: metadata is restricted beyond name/generateName`);
  }

  const want = typeof name === 'string' ? EXPECTED.get(name) : undefined;
  if (want === undefined) {
    errors.push(`${crd}: not a CRD the chart needs (no expectations for it)`);
    return undefined;
  }
  if (get(names, 'kind') !== want.kind) errors.push(`${crd}: kind ${show(get(names, 'kind'))}, expected ${want.kind}`);
  const servedWant = versions.filter((v) => get(v, 'name') === want.version && truthy(get(v, 'served')));
  if (servedWant.length === 0) {
    errors.push(`${crd}: version ${want.version} is not served (served: ${show(served)})`);
  } else {
    // A version without a schema has been reported above; its fields cannot be looked for.
    const schema = get(mappingOr(get(servedWant[0], 'schema'), 'schema'), 'openAPIV3Schema');
    if (isMapping(schema)) {
      for (const field of want.fields) {
        if (!hasField(schema, field)) errors.push(`${crd} ${want.version}: no ${field} in the schema`);
      }
    }
    if (want.printerColumn !== undefined) {
      const columns = itemsOf(get(servedWant[0], 'additionalPrinterColumns'), 'additionalPrinterColumns');
      const paths = columns.map((column) => {
        if (!isMapping(column)) throw new ShapeError(`${crd} ${want.version}: additionalPrinterColumns: not a list of mappings`);
        return get(column, 'jsonPath');
      });
      if (!paths.includes(want.printerColumn)) errors.push(`${crd}: no printer column on ${want.printerColumn} (the cluster label changed?)`);
    }
  }
  return `${crd}: kind ${show(get(names, 'kind'))}, served ${served.map(show).join(',')}, storage ${storage.map(show).join(',')}`;
}

export interface Source {
  path: string;
  text: string;
}

export interface Report {
  summaries: string[];
  errors: string[];
}

/** Checks files that should hold one CRD each and, together, every CRD the chart needs. */
export function checkSources(sources: Source[]): Report {
  const report: Report = { summaries: [], errors: [] };
  const seen = new Set<unknown>();
  for (const { path, text } of sources) {
    // YAML 1.1, as Kubernetes' own YAML reader (go-yaml v2) reads it: `yes` is a boolean there.
    // A duplicate key is no parse error there either: the last one wins.
    const parsed = Array.from(parseAllDocuments(text, { version: '1.1', uniqueKeys: false }));
    const broken = parsed.flatMap((doc) => [...doc.errors, ...doc.warnings]);
    if (broken.length > 0) {
      report.errors.push(`${path}: ${broken[0].message.split('\n')[0].replace(/:$/, '')}`);
      continue;
    }
    const docs = parsed.map((doc) => doc.toJS() as unknown).filter((doc) => doc !== null && doc !== undefined);
    if (docs.length !== 1) {
      report.errors.push(`${path}: ${docs.length} YAML documents, expected one CRD`);
      continue;
    }
    try {
      const summary = checkCrd(docs[0], report.errors);
      if (summary !== undefined) {
        seen.add((docs[0] as { metadata: Mapping }).metadata.name);
        report.summaries.push(summary);
      }
    } catch (error) {
      if (!(error instanceof ShapeError)) throw error;
      report.errors.push(`${path}: ${error.message}`);
    }
  }
  for (const name of [...EXPECTED.keys()].sort()) if (!seen.has(name)) report.errors.push(`${name}: missing`);
  return report;
}

function main(paths: string[]): number {
  const sources: Source[] = [];
  const unreadable: string[] = [];
  for (const path of paths) {
    try {
      sources.push({ path, text: readFileSync(path, 'utf8') });
    } catch (error) {
      unreadable.push(`${path}: ${(error as Error).message}`);
    }
  }
  const { summaries, errors } = checkSources(sources);
  for (const summary of summaries) process.stdout.write(`${summary}\n`);
  for (const error of [...unreadable, ...errors]) process.stderr.write(`crd-check: ${error}\n`);
  return unreadable.length + errors.length > 0 ? 1 : 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
