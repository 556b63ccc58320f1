import type { Cluster } from './cluster-access';

/** Watching a release's Deployments: when each became Ready, and which pods serve now. */

interface DeploymentList {
  items: {
    metadata: { name: string; generation: number };
    spec: { replicas?: number };
    status: { observedGeneration?: number; replicas?: number; readyReplicas?: number; updatedReplicas?: number; availableReplicas?: number };
  }[];
}

interface PodList {
  items: { metadata: { name: string; labels: Record<string, string>; deletionTimestamp?: string }; status: { podIP?: string; phase: string } }[];
}

/** Ready and rolled out: every replica updated to the newest template and available, no old ones left. */
function rolledOut(d: DeploymentList['items'][number]): boolean {
  const want = d.spec.replicas ?? 1;
  const s = d.status;
  return (s.observedGeneration ?? 0) >= d.metadata.generation && s.updatedReplicas === want && s.readyReplicas === want && s.availableReplicas === want && s.replicas === want;
}

/**
 * Polls the release's Deployments until every one is rolled out; returns the milliseconds from
 * `since` at which each first was. Fails naming the ones that never were.
 */
export async function waitForDeployments(cluster: Cluster, namespace: string, release: string, since: number, timeoutMs: number): Promise<Record<string, number>> {
  const readyAt: Record<string, number> = {};
  const deadline = Date.now() + timeoutMs;
  let names: string[] = [];
  while (Date.now() < deadline) {
    const list = await cluster.json<DeploymentList>(['get', 'deployments', '-n', namespace, '-l', `app.kubernetes.io/instance=${release}`]);
    names = list.items.map((d) => d.metadata.name);
    for (const d of list.items) {
      if (readyAt[d.metadata.name] === undefined && rolledOut(d)) readyAt[d.metadata.name] = Date.now() - since;
    }
    if (names.length > 0 && names.every((n) => readyAt[n] !== undefined)) return readyAt;
    await new Promise((r) => setTimeout(r, 500));
  }
  const pods = await cluster.kubectl(['get', 'pods', '-n', namespace, '-o', 'wide']).catch((e: Error) => ({ stdout: e.message }));
  throw new Error(`not rolled out after ${timeoutMs} ms: ${names.filter((n) => readyAt[n] === undefined).join(', ') || '(no Deployments)'}\n${pods.stdout}`);
}

/** The running pods of one component of a release, by name, with their IPs. */
export async function componentPods(cluster: Cluster, namespace: string, release: string, component: string): Promise<{ name: string; ip: string }[]> {
  const list = await cluster.json<PodList>(['get', 'pods', '-n', namespace, '-l', `app.kubernetes.io/instance=${release},app.kubernetes.io/component=${component}`]);
  return list.items.filter((p) => p.status.phase === 'Running' && !p.metadata.deletionTimestamp).map((p) => ({ name: p.metadata.name, ip: p.status.podIP ?? '' }));
}

/** What to print when a spec fails: pods, recent events, and the last lines of every container's log. */
export async function diagnostics(cluster: Cluster, namespace: string): Promise<string> {
  const parts: string[] = [];
  const attempt = async (label: string, args: string[]) => {
    try {
      parts.push(`--- ${label}\n${(await cluster.kubectl(args, { timeoutMs: 30_000 })).stdout}`);
    } catch (error) {
      parts.push(`--- ${label}: ${(error as Error).message}`);
    }
  };
  await attempt('pods', ['get', 'pods', '-A', '-o', 'wide']);
  await attempt('events', ['get', 'events', '-n', namespace, '--sort-by=.lastTimestamp']);
  const pods = await cluster.json<PodList>(['get', 'pods', '-n', namespace]).catch(() => ({ items: [] }) as PodList);
  for (const pod of pods.items) await attempt(`logs ${pod.metadata.name}`, ['logs', '-n', namespace, pod.metadata.name, '--all-containers', '--tail=30']);
  return parts.join('\n');
}
