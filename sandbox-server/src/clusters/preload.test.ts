/**
 * The preload's promises with a stand-in pull (no engine): every node pulls every image, a failure
 * or a slow pull never fails the cluster, the deadline and the pool's stop end it.
 * Run: node --import tsx --test sandbox-server/src/clusters/preload.test.ts
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, type LogLevel } from '../log.ts';
import { preloadImages } from './preload.ts';

const cluster = { id: 'c1', nodes: [{ name: 'manager', ip: '10.0.0.2' }, { name: 'worker-1', ip: '10.0.0.3' }] };
const pulledImage = { id: 'sha256:1', sizeBytes: 1000, repoDigests: ['flask_app@sha256:2'] };

function logs() {
  const lines: { level: Exclude<LogLevel, 'silent'>; line: string }[] = [];
  return { lines, log: createLogger('json', {}, 'info', (line, level) => lines.push({ level, line })) };
}

/** A pull that never ends on its own, only when its signal aborts (as the real one's connection is closed). */
const hanging = (_ip: string, _ref: string, o: { signal: AbortSignal }) =>
  new Promise<never>((_resolve, reject) => o.signal.addEventListener('abort', () => reject(new Error('aborted'))));

test('every node pulls every image, one after another per node, and it is logged', async () => {
  const calls: string[] = [];
  const { lines, log } = logs();
  const results = await preloadImages(cluster, {
    images: ['flask_app:3.0', 'mysql/mysql-server:5.7'],
    log,
    pull: async (ip, ref) => (calls.push(`${ip} ${ref}`), pulledImage),
  });
  assert.equal(results.length, 4);
  assert.ok(results.every((r) => r.ok && r.sizeBytes === 1000));
  assert.deepEqual(calls.filter((c) => c.startsWith('10.0.0.3')), ['10.0.0.3 flask_app:3.0', '10.0.0.3 mysql/mysql-server:5.7']);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!.line, /lab images preloaded/);
});

test('a failed pull does not fail the preload: it is reported and logged as a warning', async () => {
  const { lines, log } = logs();
  const results = await preloadImages(cluster, {
    images: ['flask_app:3.0'],
    log,
    pull: async (ip) => {
      if (ip === '10.0.0.3') throw new Error('manifest unknown');
      return pulledImage;
    },
  });
  assert.deepEqual(results.map((r) => [r.node, r.ok]), [['manager', true], ['worker-1', false]]);
  assert.match(results[1]!.error!, /manifest unknown/);
  assert.equal(lines[0]!.level, 'warn');
  assert.match(lines[0]!.line, /worker-1 flask_app:3.0: manifest unknown/);
});

test('the deadline ends pulls still running, and later images are not started', async () => {
  const started: string[] = [];
  const t0 = Date.now();
  const results = await preloadImages(cluster, {
    images: ['flask_app:3.0', 'flask_app:2.0'],
    log: logs().log,
    timeoutMs: 100,
    pull: (ip, ref, o) => (started.push(ref), hanging(ip, ref, o)),
  });
  assert.ok(Date.now() - t0 < 2000);
  assert.deepEqual(started, ['flask_app:3.0', 'flask_app:3.0']);
  assert.ok(results.every((r) => !r.ok && /not done within/.test(r.error!)));
});

test('the pool\'s stop ends the preload at once; no images, no pulls', async () => {
  const stop = new AbortController();
  const done = preloadImages(cluster, { images: ['flask_app:3.0'], log: logs().log, signal: stop.signal, pull: hanging });
  stop.abort();
  const results = await done;
  assert.ok(results.every((r) => !r.ok && /stopped/.test(r.error!)));
  let pulls = 0;
  assert.deepEqual(await preloadImages(cluster, { images: [], log: logs().log, pull: async () => (pulls++, pulledImage) }), []);
  assert.equal(pulls, 0);
});
