#!/usr/bin/env python3
"""Checks CustomResourceDefinition files before a cluster sees them.

Usage: crd_check.py FILE...   (prints one summary line per CRD; exits 1 on any problem)

No API server runs here, so this repeats the checks that decide whether Kubernetes 1.34 accepts
an apiextensions.k8s.io/v1 CRD (one storage version, a structural schema per version), then
checks what the Tidings chart relies on: the kinds, their served versions, and the fields its
templates set. A new upstream version that drops one of those fails here, not in the cluster.
"""
import sys

import yaml

# PyYAML reads a bare "=" (Prometheus Operator's enums have one) as YAML 1.1's value tag,
# which it cannot construct; Kubernetes reads it as the string "=".
yaml.SafeLoader.add_constructor("tag:yaml.org,2002:value", yaml.SafeLoader.construct_scalar)

# What the chart's optional resources need of each CRD: the kind, a version to be served, and
# the schema paths its templates write ("[]" steps into array items).
EXPECTED = {
    "servicemonitors.monitoring.coreos.com": {
        "kind": "ServiceMonitor",
        "version": "v1",
        "fields": ["spec.selector", "spec.endpoints[].port", "spec.endpoints[].path",
                   "spec.endpoints[].interval", "spec.endpoints[].relabelings"],
    },
    "prometheusrules.monitoring.coreos.com": {
        "kind": "PrometheusRule",
        "version": "v1",
        "fields": ["spec.groups[].name", "spec.groups[].rules[].alert",
                   "spec.groups[].rules[].expr", "spec.groups[].rules[].for"],
    },
    "kafkatopics.kafka.strimzi.io": {
        "kind": "KafkaTopic",
        "version": "v1",
        "fields": ["spec.topicName", "spec.partitions", "spec.replicas", "spec.config"],
        # Strimzi's own printer column reads the cluster from this label: it is the label the
        # Topic Operator selects its KafkaTopics by, and the one the chart sets.
        "printer_column": r".metadata.labels.strimzi\.io/cluster",
    },
}

COMBINATORS = ("allOf", "anyOf", "oneOf")
# The one use of type inside a combinator that Kubernetes allows: an int-or-string's branches.
INT_OR_STRING = [{"type": "integer"}, {"type": "string"}]


def structural(node, path, errors, in_combinator=False):
    """Kubernetes' structural-schema rules, the ones a generator can get wrong."""
    if not isinstance(node, dict):
        errors.append(f"{path}: not a schema object")
        return
    if in_combinator:
        # Inside allOf/anyOf/oneOf/not only value validations are allowed.
        for key in ("type", "description", "default", "additionalProperties", "nullable"):
            if key in node:
                errors.append(f"{path}: '{key}' inside a combinator")
    elif not (node.get("type") or node.get("x-kubernetes-int-or-string")
              or node.get("x-kubernetes-preserve-unknown-fields")):
        errors.append(f"{path}: no type")
    if "properties" in node and isinstance(node.get("additionalProperties"), dict):
        errors.append(f"{path}: both properties and additionalProperties")
    for name, child in (node.get("properties") or {}).items():
        structural(child, f"{path}.{name}", errors, in_combinator)
    if isinstance(node.get("additionalProperties"), dict):
        structural(node["additionalProperties"], f"{path}.*", errors, in_combinator)
    if "items" in node:
        structural(node["items"], f"{path}[]", errors, in_combinator)
    for key in COMBINATORS:
        if key == "anyOf" and node.get("x-kubernetes-int-or-string") and node[key] == INT_OR_STRING:
            continue
        for i, child in enumerate(node.get(key) or []):
            structural(child, f"{path}.{key}[{i}]", errors, True)
    if "not" in node:
        structural(node["not"], f"{path}.not", errors, True)


def has_field(schema, dotted):
    node = schema
    for step in dotted.split("."):
        name, array = (step[:-2], True) if step.endswith("[]") else (step, False)
        node = (node.get("properties") or {}).get(name)
        if node is None:
            return False
        if array:
            node = node.get("items")
            if node is None:
                return False
    return True


def check(doc, errors):
    if doc.get("apiVersion") != "apiextensions.k8s.io/v1" or doc.get("kind") != "CustomResourceDefinition":
        errors.append(f"not an apiextensions.k8s.io/v1 CustomResourceDefinition: {doc.get('apiVersion')} {doc.get('kind')}")
        return None
    spec, name = doc.get("spec") or {}, (doc.get("metadata") or {}).get("name", "")
    names, group = spec.get("names") or {}, spec.get("group", "")
    if name != f"{names.get('plural')}.{group}":
        errors.append(f"{name}: metadata.name is not <plural>.<group>")
    if spec.get("preserveUnknownFields"):
        errors.append(f"{name}: spec.preserveUnknownFields is true (v1 forbids it)")
    versions = spec.get("versions") or []
    if not versions:
        errors.append(f"{name}: no versions")
    storage = [v.get("name") for v in versions if v.get("storage") is True]
    if len(storage) != 1:
        errors.append(f"{name}: {len(storage)} storage versions, not exactly one")
    served = []
    for v in versions:
        where = f"{name} {v.get('name')}"
        if not isinstance(v.get("served"), bool) or not isinstance(v.get("storage"), bool):
            errors.append(f"{where}: served/storage not set")
        if v.get("served"):
            served.append(v.get("name"))
        schema = (v.get("schema") or {}).get("openAPIV3Schema")
        if not schema:
            errors.append(f"{where}: no schema.openAPIV3Schema")
            continue
        if schema.get("type") != "object":
            errors.append(f"{where}: the root schema is not of type object")
        structural(schema, f"{where}", errors)
        meta = (schema.get("properties") or {}).get("metadata") or {}
        extra = set((meta.get("properties") or {})) - {"name", "generateName"}
        if extra or set(meta) - {"type", "properties", "description"}:
            errors.append(f"{where}: metadata is restricted beyond name/generateName")

    want = EXPECTED.get(name)
    if want is None:
        errors.append(f"{name}: not a CRD the chart needs (no expectations for it)")
        return None
    if names.get("kind") != want["kind"]:
        errors.append(f"{name}: kind {names.get('kind')}, expected {want['kind']}")
    served_want = [v for v in versions if v.get("name") == want["version"] and v.get("served")]
    if not served_want:
        errors.append(f"{name}: version {want['version']} is not served (served: {served})")
    else:
        schema = served_want[0]["schema"]["openAPIV3Schema"]
        for field in want["fields"]:
            if not has_field(schema, field):
                errors.append(f"{name} {want['version']}: no {field} in the schema")
        if "printer_column" in want:
            paths = [c.get("jsonPath") for c in served_want[0].get("additionalPrinterColumns") or []]
            if want["printer_column"] not in paths:
                errors.append(f"{name}: no printer column on {want['printer_column']} (the cluster label changed?)")
    return f"{name}: kind {names.get('kind')}, served {','.join(served)}, storage {','.join(storage)}"


def main(paths):
    errors, seen = [], []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
        if len(docs) != 1:
            errors.append(f"{path}: {len(docs)} YAML documents, expected one CRD")
            continue
        summary = check(docs[0], errors)
        if summary:
            seen.append(docs[0]["metadata"]["name"])
            print(summary)
    for name in sorted(set(EXPECTED) - set(seen)):
        errors.append(f"{name}: missing")
    for e in errors:
        print(f"crd_check: {e}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
