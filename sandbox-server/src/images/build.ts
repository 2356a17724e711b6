// Builds one image with dockerode from a directory, unless an image with the same input hash
// already exists. The hash is stored as a label on the image itself, so there is no cache file to
// get out of sync with what the engine really has.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { LABEL } from '../engine/labels.ts';
import { inputHash, parseFromRefs, type ContextFile } from './hash.ts';

export const HASH_LABEL = 'swb.input-hash';

export interface ImageSpec {
  /** Reference to tag, e.g. 'flask_app:3.0'. A '{hash}' placeholder is replaced by the input hash. */
  tag: string;
  /** Build context directory (its Dockerfile is used). */
  context: string;
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  /** Files made at build time (e.g. a bundled script), added to the context and to the input hash. */
  generated?: () => Promise<ContextFile[]>;
}

export interface BuildResult {
  tag: string;
  id: string;
  built: boolean;
}

export async function ensureBuilt(docker: Docker, spec: ImageSpec, log: (line: string) => void): Promise<BuildResult> {
  const files = [...(await readContext(spec.context)), ...((await spec.generated?.()) ?? [])];
  const dockerfile = files.find((f) => f.path === 'Dockerfile');
  if (!dockerfile) throw new Error(`no Dockerfile in ${spec.context}`);
  const buildArgs = spec.buildArgs ?? {};
  const parentIds: string[] = [];
  for (const ref of parseFromRefs(dockerfile.content.toString(), buildArgs)) {
    const parent = await docker.getImage(ref).inspect().catch(() => undefined);
    if (!parent) throw new Error(`${spec.tag}: parent image ${ref} is missing (it must be built first)`);
    parentIds.push(parent.Id);
  }
  const hash = inputHash({ tag: spec.tag, files, buildArgs, parentIds });
  const tag = spec.tag.replace('{hash}', hash.slice(0, 12));
  const name = spec.tag.replace(':{hash}', ''); // for log lines

  const current = await docker.getImage(tag).inspect().catch(() => undefined);
  if (current?.Config?.Labels?.[HASH_LABEL] === hash) return { tag, id: current.Id, built: false };

  log(`${name}: building (${current ? 'inputs changed' : 'not present'})`);
  const started = Date.now();
  const stream = await docker.buildImage(packContext(files), {
    t: tag,
    buildargs: buildArgs,
    labels: { ...spec.labels, [LABEL.managed]: 'true', [HASH_LABEL]: hash },
    rm: true,
    forcerm: true,
    pull: false,
  } as Docker.ImageBuildOptions);
  let step = '';
  const tail: string[] = [];
  const events = await followProgress(docker, stream, (event) => {
    const text = typeof event.stream === 'string' ? event.stream.trimEnd() : '';
    if (!text) return;
    tail.push(text);
    if (tail.length > 40) tail.shift();
    // One line per Dockerfile step keeps logs readable; apt's chatter is kept for errors only.
    const m = /^Step (\d+\/\d+) : (.*)$/.exec(text);
    if (m && m[1] !== step) {
      step = m[1] ?? '';
      log(`${name}: step ${step} ${truncate(m[2] ?? '', 70)}`);
    }
  });
  const failure = events.find((e) => e.error);
  if (failure) throw new Error(`${tag}: build failed: ${failure.error}\n${tail.join('\n')}`);
  const image = await docker.getImage(tag).inspect();
  if (current && current.Id !== image.Id) {
    // The replaced image is now untagged; drop it unless a container (or a child image) still uses it.
    await docker.getImage(current.Id).remove().catch(() => undefined);
  }
  log(`${name}: built in ${((Date.now() - started) / 1000).toFixed(1)} s (${(image.Size / 1e6).toFixed(0)} MB)`);
  return { tag, id: image.Id, built: true };
}

/** Every regular file under dir, sorted, with its mode; the Dockerfile is part of the context. */
export async function readContext(dir: string): Promise<ContextFile[]> {
  const out: ContextFile[] = [];
  async function walk(d: string): Promise<void> {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        const [content, st] = await Promise.all([readFile(full), stat(full)]);
        out.push({ path: relative(dir, full).split(sep).join('/'), mode: st.mode, content });
      }
    }
  }
  await walk(dir);
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** A tar stream of the context with fixed owners and times, so the layer cache only sees content. */
function packContext(files: ContextFile[]): NodeJS.ReadableStream {
  const pack = tar.pack();
  for (const f of files) {
    pack.entry({ name: f.path, mode: f.mode & 0o111 ? 0o755 : 0o644, mtime: new Date(0), uid: 0, gid: 0 }, f.content);
  }
  pack.finalize();
  return pack as unknown as NodeJS.ReadableStream;
}

export interface ProgressEvent {
  stream?: string;
  status?: string;
  error?: string;
  aux?: unknown;
  [key: string]: unknown;
}

/** Resolves with every event once the stream ends (errors inside the stream are events, not rejections). */
export function followProgress(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onEvent: (event: ProgressEvent) => void,
): Promise<ProgressEvent[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: ProgressEvent[]) => (err ? reject(err) : resolve(output ?? [])),
      onEvent,
    );
  });
}

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}
