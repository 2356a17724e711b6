/**
 * Lesson files in and out of nodes, as tar streams through the Docker API
 * (works on created-but-not-started containers too, so a new cluster gets its
 * files before its first process runs).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { LAB_DIR, MAX_FILE_BYTES } from '../protocol/index.js';

const LAB_ROOT = LAB_DIR.replace(/^\//, '');

export interface LabFile {
  path: string;
  content: Buffer;
}

/** Every file under `dir`, paths relative to it. */
export function readLabFiles(dir: string): LabFile[] {
  const out: LabFile[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) out.push({ path: child, content: fs.readFileSync(path.join(dir, child)) });
    }
  };
  walk('');
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** A tar (to extract at `/`) holding `/lab` and the files, with their parent folders. */
export async function labArchive(files: LabFile[]): Promise<Buffer> {
  const pack = tar.pack();
  const dirs = new Set<string>([LAB_ROOT]);
  for (const f of files) {
    const parts = f.path.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(`${LAB_ROOT}/${parts.slice(0, i).join('/')}`);
  }
  for (const dir of [...dirs].sort()) pack.entry({ name: `${dir}/`, type: 'directory', mode: 0o755 });
  for (const f of files) pack.entry({ name: `${LAB_ROOT}/${f.path}`, mode: 0o644, mtime: new Date() }, f.content);
  pack.finalize();
  return streamToBuffer(pack as unknown as NodeJS.ReadableStream);
}

export async function putLabFiles(container: Docker.Container, archive: Buffer): Promise<void> {
  await container.putArchive(archive, { path: '/' });
}

/** One file's content from a node; null when it does not exist. */
export async function readNodeFile(container: Docker.Container, relPath: string): Promise<Buffer | null> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await container.getArchive({ path: `${LAB_DIR}/${relPath}` });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return null;
    throw err;
  }
  const extract = tar.extract();
  let content: Buffer | null = null;
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, entryStream, next) => {
      if (header.type !== 'file') {
        entryStream.resume();
        entryStream.on('end', next);
        return;
      }
      if (header.size !== undefined && header.size > MAX_FILE_BYTES) {
        reject(new Error(`${relPath} is larger than ${MAX_FILE_BYTES} bytes`));
        entryStream.resume();
        return;
      }
      streamToBuffer(entryStream as unknown as NodeJS.ReadableStream).then((buf) => {
        content ??= buf;
        next();
      }, reject);
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  (stream as Readable).pipe(extract);
  await done;
  return content;
}

/** Files directly under /lab and below (the editor's file list). */
export async function listNodeFiles(container: Docker.Container): Promise<{ path: string; size: number }[]> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await container.getArchive({ path: LAB_DIR });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return [];
    throw err;
  }
  const extract = tar.extract();
  const files: { path: string; size: number }[] = [];
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, entryStream, next) => {
      if (header.type === 'file') files.push({ path: header.name.replace(/^lab\//, ''), size: header.size ?? 0 });
      entryStream.on('end', next);
      entryStream.resume();
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  (stream as Readable).pipe(extract);
  await done;
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

function streamToBuffer(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}
