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
import { formatBytes, readAll, ReadLimitError } from '../engine/bounded.ts';
import { LAB_DIR, MAX_FILE_BYTES } from '@contract/protocol.ts';

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

/**
 * A tar of the files with their parent folders, to extract in /lab. (Not at `/`: a node's own
 * filesystem is read-only, and the archive API refuses a read-only destination even when every
 * entry would land on a mount.)
 */
export async function labArchive(files: LabFile[]): Promise<Buffer> {
  const pack = tar.pack();
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.path.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  for (const dir of [...dirs].sort()) pack.entry({ name: `${dir}/`, type: 'directory', mode: 0o755 });
  for (const f of files) pack.entry({ name: f.path, mode: 0o644, mtime: new Date() }, f.content);
  pack.finalize();
  return streamToBuffer(pack as unknown as NodeJS.ReadableStream);
}

export async function putLabFiles(container: Docker.Container, archive: Buffer): Promise<void> {
  await container.putArchive(archive, { path: LAB_DIR });
}

/** A whole /lab archive read for the file list stops past this (a learner may put anything in /lab). */
const MAX_ARCHIVE_BYTES = 64 * 1024 * 1024;
const ARCHIVE_TIMEOUT_MS = 15_000;

/**
 * Walk a tar stream from the Docker archive API, bounded in bytes and time. `onEntry` returns
 * 'stop' to end early. On every way out (done, stopped, too large, too slow, a bad entry) both the
 * archive stream (and its socket) and the extractor are destroyed.
 */
function walkArchive(
  source: NodeJS.ReadableStream,
  what: string,
  onEntry: (header: tar.Header, entry: Readable) => Promise<'next' | 'stop'>,
): Promise<void> {
  const stream = source as Readable;
  const extract = tar.extract();
  return new Promise<void>((resolve, reject) => {
    let done = false;
    let size = 0;
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stream.unpipe(extract);
      stream.destroy();
      extract.destroy();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => finish(new ReadLimitError(`reading ${what} took longer than ${ARCHIVE_TIMEOUT_MS / 1000} s`, 'time')), ARCHIVE_TIMEOUT_MS);
    timer.unref?.();
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_ARCHIVE_BYTES) finish(new ReadLimitError(`${what} is larger than ${formatBytes(MAX_ARCHIVE_BYTES)}`, 'size'));
    });
    stream.on('error', (err) => finish(err));
    extract.on('entry', (header, entryStream, next) => {
      onEntry(header, entryStream as unknown as Readable).then(
        (after) => (after === 'stop' ? finish(null) : next()),
        (err: Error) => finish(err),
      );
    });
    extract.on('finish', () => finish(null));
    extract.on('error', (err) => finish(err));
    stream.pipe(extract);
  });
}

/** Drain an entry we do not keep. */
function skip(entry: Readable): Promise<'next'> {
  return new Promise((resolve, reject) => {
    entry.on('end', () => resolve('next'));
    entry.on('error', reject);
    entry.resume();
  });
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
  let content: Buffer | null = null;
  await walkArchive(stream, relPath, async (header, entry) => {
    if (header.type !== 'file') return skip(entry);
    if (header.size !== undefined && header.size > MAX_FILE_BYTES) throw new Error(`${relPath} is larger than ${MAX_FILE_BYTES} bytes`);
    content = await readAll(entry, { maxBytes: MAX_FILE_BYTES, timeoutMs: ARCHIVE_TIMEOUT_MS }, relPath);
    return 'stop';
  });
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
  const files: { path: string; size: number }[] = [];
  await walkArchive(stream, LAB_DIR, (header, entry) => {
    if (header.type === 'file') files.push({ path: header.name.replace(/^lab\//, ''), size: header.size ?? 0 });
    return skip(entry);
  });
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
