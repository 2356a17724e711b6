/**
 * Reading lab files out of a node is reading what the learner made: a file over the limit, or an
 * archive that never ends, must fail clearly and leave no stream (or socket) open.
 * Run: node --import tsx --test sandbox-server/src/files/labfiles.test.ts
 */
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { test } from 'node:test';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { MAX_FILE_BYTES } from '@contract/protocol.ts';
import { listNodeFiles, readNodeFile } from './labfiles.ts';

/** A node container whose archive API serves `source` (what the Docker API would stream). */
function nodeServing(source: Readable): Docker.Container {
  return { getArchive: async () => source } as unknown as Docker.Container;
}

function archiveOf(files: { name: string; size: number }[]): Readable {
  const pack = tar.pack();
  for (const f of files) pack.entry({ name: f.name, size: f.size }, Buffer.alloc(f.size, 0x61));
  pack.finalize();
  const out = new PassThrough();
  (pack as unknown as Readable).pipe(out);
  return out;
}

test('a file within the limit is read; its archive stream is closed afterwards', async () => {
  const source = archiveOf([{ name: 'app.py', size: 10 }]);
  const content = await readNodeFile(nodeServing(source), 'app.py');
  assert.equal(content?.toString(), 'aaaaaaaaaa');
  assert.ok(source.destroyed, 'the archive stream is closed');
});

test('a file over the limit: a clear error, and the archive stream is closed (it used to stay open)', async () => {
  const source = archiveOf([{ name: 'big.bin', size: MAX_FILE_BYTES + 1 }]);
  await assert.rejects(readNodeFile(nodeServing(source), 'big.bin'), /big\.bin is larger than/);
  assert.ok(source.destroyed, 'the archive stream is closed');
});

test('an archive that never ends: the file list stops at its byte limit and closes the stream', async () => {
  const header = Buffer.alloc(512);
  // A tar header for a file "claiming" 8 GiB: the extractor keeps reading its content.
  const pack = tar.pack();
  const headerStream = new PassThrough();
  (pack as unknown as Readable).pipe(headerStream);
  pack.entry({ name: 'lab/huge', size: 8 * 1024 ** 3 });
  let sent = 0;
  const first = await new Promise<Buffer>((resolve) => headerStream.once('data', resolve));
  const endless = new Readable({
    read() {
      if (sent === 0) this.push(first.length ? first : header);
      sent++;
      this.push(Buffer.alloc(1024 * 1024));
    },
  });
  await assert.rejects(listNodeFiles(nodeServing(endless)), /\/lab is larger than 64 MiB/);
  assert.ok(endless.destroyed, 'the archive stream is closed');
  assert.ok(sent < 100, `read stopped soon after the limit (${sent} MiB)`);
});
