import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '@tidings/testing';

/**
 * What the Kubernetes tier's specs share: the one-node cluster that infra/scripts/test-k8s.sh
 * started (inside the network namespace these specs run in), and kubectl and helm against it.
 */

const run = promisify(execFile);

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the Kubernetes tier with npm run test:k8s, which starts the cluster and sets it`);
  return value;
}

export interface ClusterEnv {
  kubeconfig: string;
  kubectl: string;
  helm: string;
  /** The node's own address inside the namespace: Kafka, PostgreSQL and the test receiver listen on it. */
  nodeIp: string;
  /** Third-party CRDs (Strimzi KafkaTopic, Prometheus Operator) to apply where a switch needs them. */
  crdDir: string;
  /** The image as containerd knows it after the import, and its repository and tag for the chart. */
  imageRepository: string;
  imageTag: string;
  kafkaBrokers: string;
  /** As the pods see PostgreSQL (on the node address). */
  databaseUrl: string;
}

export function clusterEnv(): ClusterEnv {
  const bin = required('TIDINGS_K8S_BIN');
  const image = required('TIDINGS_IMAGE');
  const nodeIp = required('TIDINGS_K8S_NODE_IP');
  return {
    kubeconfig: required('TIDINGS_KUBECONFIG'),
    kubectl: join(bin, 'kubectl'),
    helm: process.env.TIDINGS_HELM ?? join(bin, 'helm'),
    nodeIp,
    crdDir: required('TIDINGS_K8S_CRDS'),
    imageRepository: image.slice(0, image.lastIndexOf(':')),
    imageTag: image.slice(image.lastIndexOf(':') + 1),
    kafkaBrokers: required('TIDINGS_K8S_KAFKA_BROKERS'),
    databaseUrl: required('TIDINGS_K8S_DATABASE_URL'),
  };
}

export const chartDir = (): string => join(repoRoot(), 'helm', 'tidings');

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/** Runs a command; a failure carries its stderr, so a refused install says why. */
async function command(file: string, args: string[], kubeconfig: string, timeoutMs: number, input?: string): Promise<CommandResult> {
  const child = run(file, args, { env: { ...process.env, KUBECONFIG: kubeconfig }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  try {
    return await child;
  } catch (error) {
    const failed = error as Error & { stderr?: string; stdout?: string };
    throw Object.assign(new Error(`${file.split('/').pop()} ${args.join(' ')} failed: ${failed.stderr?.trim() || failed.message}`), {
      stderr: failed.stderr ?? '',
      stdout: failed.stdout ?? '',
    });
  }
}

export class Cluster {
  constructor(readonly env: ClusterEnv = clusterEnv()) {}

  kubectl(args: string[], options: { timeoutMs?: number; input?: string } = {}): Promise<CommandResult> {
    return command(this.env.kubectl, args, this.env.kubeconfig, options.timeoutMs ?? 120_000, options.input);
  }

  helm(args: string[], timeoutMs = 600_000): Promise<CommandResult> {
    return command(this.env.helm, args, this.env.kubeconfig, timeoutMs);
  }

  async json<T>(args: string[]): Promise<T> {
    return JSON.parse((await this.kubectl([...args, '-o', 'json'])).stdout) as T;
  }

  /** Objects of the given kinds labelled with the release, across the namespace. */
  async releaseObjects(namespace: string, release: string, kinds: string): Promise<string[]> {
    const { stdout } = await this.kubectl(['get', kinds, '-n', namespace, '-l', `app.kubernetes.io/instance=${release}`, '-o', 'name']);
    return stdout.split('\n').filter((line) => line !== '');
  }
}

/** The values every install here needs: this cluster's image, Kafka, PostgreSQL and receiver. */
export function baseValues(env: ClusterEnv, caPem: string): Record<string, unknown> {
  return {
    image: { repository: env.imageRepository, tag: env.imageTag, pullPolicy: 'Never' },
    config: { KAFKA_BROKERS: env.kafkaBrokers },
    secret: {
      create: true,
      databaseUrl: env.databaseUrl,
      secretsEncryptionKeys: `k8s1:${Buffer.alloc(32, 7).toString('base64')}`,
    },
    // The test receiver listens on the node address, a non-public one the egress refuses unless allowed.
    egress: { allowCidrs: `${env.nodeIp}/32`, extraCaBundle: caPem },
  };
}
