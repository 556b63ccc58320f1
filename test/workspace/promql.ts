import { parser } from '@prometheus-io/lezer-promql';

/** A metric as the root README's `## Metrics` table documents it. */
export interface DocumentedMetric {
  labels: Set<string>;
  /** Values, for labels the table lists exhaustively (`outcome` = delivered, failed, gone). */
  values: Map<string, Set<string>>;
}

/** The `## Metrics` table: metric name → its labels and, where listed, their values. */
export function documentedMetrics(readme: string): Map<string, DocumentedMetric> {
  const section = /^## Metrics\n([\s\S]*?)^## /m.exec(readme);
  if (!section) throw new Error('the README has no "## Metrics" section');
  const metrics = new Map<string, DocumentedMetric>();
  for (const line of section[1]!.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const name = /^`(tidings_\w+)`$/.exec(cells[1] ?? '')?.[1];
    if (!name) continue;
    const labelCell = cells[2] ?? '';
    const labels = new Set([...labelCell.matchAll(/`(\w+)`/g)].map((m) => m[1]!));
    const values = new Map<string, Set<string>>();
    for (const [, label, list] of labelCell.matchAll(/`(\w+)` = ([^;(`]+)/g)) {
      values.set(label!, new Set(list!.split(',').map((v) => v.trim()).filter(Boolean)));
    }
    metrics.set(name, { labels, values });
  }
  return metrics;
}

export interface Matcher {
  metric: string;
  label: string;
  op: string;
  value: string;
}

export interface PromqlFacts {
  /** Source snippets where the grammar found an error; empty when the expression is valid. */
  errors: string[];
  metrics: Set<string>;
  /** Label names in `by`/`without`/`on`/`ignoring` clauses and in selectors' matchers. */
  labels: Set<string>;
  /** Labels the result is grouped by (`by (…)`), which alert annotations may use. */
  groupedBy: Set<string>;
  matchers: Matcher[];
}

/** Parses PromQL with the official grammar and lists what it refers to. */
export function analysePromql(expr: string): PromqlFacts {
  const facts: PromqlFacts = { errors: [], metrics: new Set(), labels: new Set(), groupedBy: new Set(), matchers: [] };
  const text = (node: { from: number; to: number }) => expr.slice(node.from, node.to);
  parser.parse(expr).iterate({
    enter: ({ node }) => {
      if (node.type.isError) facts.errors.push(`at ${node.from}: «${expr.slice(Math.max(0, node.from - 20), node.to + 20)}»`);
      if (node.name === 'Identifier' && node.parent?.name === 'VectorSelector') facts.metrics.add(text(node));
      if (node.name === 'LabelName') facts.labels.add(text(node));
      if (node.name === 'GroupingLabels' && node.parent?.firstChild?.name === 'By') {
        for (let label = node.firstChild; label; label = label.nextSibling) if (label.name === 'LabelName') facts.groupedBy.add(text(label));
      }
      if (node.name === 'UnquotedLabelMatcher') {
        const metricNode = node.parent?.parent?.getChild('Identifier');
        const [label, op, value] = [node.getChild('LabelName'), node.getChild('MatchOp'), node.getChild('StringLiteral')];
        if (metricNode && label && op && value) {
          facts.matchers.push({ metric: text(metricNode), label: text(label), op: text(op), value: text(value).slice(1, -1) });
        }
      }
    },
  });
  return facts;
}
