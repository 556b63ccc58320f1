/**
 * Writes a container image as one tar archive without a Docker engine or a registry: an OCI
 * image layout (`oci-layout`, `index.json`, `blobs/sha256/…`) that `ctr images import` reads,
 * plus Docker's `manifest.json`, so `docker load` reads the same file.
 *
 *   node dist/infra/image/oci-archive.js --name tidings/tidings:0.1.0 --out image.tar \
 *     --layer base.tar --layer app.tar --entrypoint node,--enable-source-maps \
 *     [--cmd a,b] [--user 10001:10001] [--workdir /app] [--env K=V]... [--label K=V]...
 *
 * A layer is a directory (tarred here: sorted, owned by root, mtime 0) or an uncompressed tar;
 * each is gzipped here. The same inputs give the same image id.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { execFileSync } from 'node:child_process';
import { createGzip } from 'node:zlib';
import { parseArgs } from 'node:util';

export interface ImageConfig {
  entrypoint: string[];
  cmd?: string[];
  user?: string;
  workdir?: string;
  env?: string[];
  labels?: Record<string, string>;
}

export interface OciArchiveOptions {
  /** `repository:tag`; containerd names the image after it (`docker.io/` added when bare). */
  name: string;
  /** Layer directories or uncompressed tars, bottom first. */
  layers: string[];
  config: ImageConfig;
  out: string;
}

interface Blob {
  digest: string;
  size: number;
}

const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** The name containerd stores an image under: a bare `repo:tag` lives on docker.io. */
export function qualifiedName(name: string): string {
  const first = name.split('/')[0];
  const hasRegistry = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return name;
  return `docker.io/${name.includes('/') ? name : `library/${name}`}`;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

async function writeBlob(blobs: string, content: string): Promise<Blob> {
  const digest = createHash('sha256').update(content).digest('hex');
  await writeFile(join(blobs, digest), content);
  return { digest: `sha256:${digest}`, size: Buffer.byteLength(content) };
}

const deterministicTar = ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0'];

/** Gzips a layer into the blob store; returns the blob and the uncompressed tar's digest. */
async function addLayer(blobs: string, source: string): Promise<{ blob: Blob; diffId: string; tarSize: number }> {
  let layer = source;
  if ((await stat(source)).isDirectory()) {
    layer = join(blobs, '..', '..', 'layer.tar');
    execFileSync('tar', [...deterministicTar, '-C', source, '-cf', layer, '.']);
  }
  const diffId = `sha256:${await sha256File(layer)}`;
  const tarSize = (await stat(layer)).size;
  const staging = join(blobs, 'layer.partial');
  // Level 6 and no header mtime: the same tar always gives the same blob.
  await pipeline(createReadStream(layer), createGzip({ level: 6 }), createWriteStream(staging));
  const digest = await sha256File(staging);
  await rename(staging, join(blobs, digest));
  if (layer !== source) await rm(layer);
  return { blob: { digest: `sha256:${digest}`, size: (await stat(join(blobs, digest))).size }, diffId, tarSize };
}

export interface OciArchiveResult {
  manifestDigest: string;
  /** The image id (`docker images`, `ctr images ls` show its start). */
  configDigest: string;
  /** Bottom first: the gzipped blob (digest, bytes) and the uncompressed tar's digest and bytes. */
  layers: { digest: string; size: number; diffId: string; tarSize: number }[];
}

export async function writeOciArchive(options: OciArchiveOptions): Promise<OciArchiveResult> {
  const dir = await mkdtemp(join(tmpdir(), 'oci-'));
  try {
    const blobs = join(dir, 'blobs', 'sha256');
    await mkdir(blobs, { recursive: true });
    const layers = [];
    for (const layer of options.layers) layers.push(await addLayer(blobs, layer));

    const { config } = options;
    const imageConfig = {
      architecture: 'amd64',
      os: 'linux',
      config: {
        Entrypoint: config.entrypoint,
        ...(config.cmd ? { Cmd: config.cmd } : {}),
        ...(config.user ? { User: config.user } : {}),
        WorkingDir: config.workdir ?? '/',
        Env: config.env ?? [],
        Labels: config.labels ?? {},
      },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map(() => ({ created_by: 'infra/image/build.sh' })),
    };
    const configBlob = await writeBlob(blobs, JSON.stringify(imageConfig));
    const manifest = {
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      config: { mediaType: MEDIA.config, ...configBlob },
      layers: layers.map((l) => ({ mediaType: MEDIA.layer, ...l.blob })),
    };
    const manifestBlob = await writeBlob(blobs, JSON.stringify(manifest));
    const tag = options.name.slice(options.name.lastIndexOf(':') + 1);
    const index = {
      schemaVersion: 2,
      mediaType: MEDIA.index,
      manifests: [
        {
          mediaType: MEDIA.manifest,
          ...manifestBlob,
          annotations: { 'io.containerd.image.name': qualifiedName(options.name), 'org.opencontainers.image.ref.name': tag },
        },
      ],
    };
    await writeFile(join(dir, 'index.json'), JSON.stringify(index));
    await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    // Docker's own archive format, pointing at the same blobs.
    const blobPath = (b: Blob) => `blobs/sha256/${b.digest.slice('sha256:'.length)}`;
    const dockerManifest = [{ Config: blobPath(configBlob), RepoTags: [options.name], Layers: layers.map((l) => blobPath(l.blob)) }];
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(dockerManifest));

    execFileSync('tar', [...deterministicTar, '-C', dir, '-cf', options.out, 'oci-layout', 'index.json', 'manifest.json', 'blobs']);
    return {
      manifestDigest: manifestBlob.digest,
      configDigest: configBlob.digest,
      layers: layers.map((l) => ({ ...l.blob, diffId: l.diffId, tarSize: l.tarSize })),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',').filter((part) => part !== '');
}

function pairs(values: string[] | undefined): Record<string, string> {
  return Object.fromEntries((values ?? []).map((v) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)]));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      name: { type: 'string' },
      out: { type: 'string' },
      layer: { type: 'string', multiple: true },
      entrypoint: { type: 'string' },
      cmd: { type: 'string' },
      user: { type: 'string' },
      workdir: { type: 'string' },
      env: { type: 'string', multiple: true },
      label: { type: 'string', multiple: true },
    },
  });
  if (!values.name || !values.out || !values.layer?.length || !values.entrypoint) {
    throw new Error('usage: oci-archive --name repo:tag --out FILE --layer TAR... --entrypoint a,b [--cmd] [--user] [--workdir] [--env K=V] [--label K=V]');
  }
  const result = await writeOciArchive({
    name: values.name,
    out: values.out,
    layers: values.layer,
    config: {
      entrypoint: list(values.entrypoint) ?? [],
      cmd: list(values.cmd),
      user: values.user,
      workdir: values.workdir,
      env: values.env,
      labels: pairs(values.label),
    },
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`oci-archive: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
