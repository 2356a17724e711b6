/**
 * pullImage against a stand-in Docker API (no engine): the reference as the CLI sends it, an error
 * reported inside the 200 progress stream, an endless progress stream cut at the size limit.
 * Run: node --import tsx --test sandbox-server/src/engine/inner-api.test.ts
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { ReadLimitError } from './bounded.ts';
import { IMAGE_REFERENCE, pullImage, pullError } from './inner-api.ts';

let port = 0;
const asked: string[] = [];
const server = http.createServer((req, res) => {
  asked.push(`${req.method} ${req.url}`);
  const url = new URL(req.url!, 'http://x');
  if (req.method === 'POST' && url.pathname === '/images/create') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const from = url.searchParams.get('fromImage');
    if (from === 'missing') return res.end('{"status":"Pulling from library/missing"}\n{"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"}\n');
    if (from === 'endless') {
      const pump = () => {
        while (!res.destroyed && res.write('{"status":"Downloading","progressDetail":{"current":1}}\n'));
        if (!res.destroyed) res.once('drain', pump);
      };
      return pump();
    }
    return res.end('{"status":"Pulling from library/flask_app"}\n{"status":"Status: Downloaded newer image for flask_app:3.0"}\n');
  }
  if (req.method === 'GET' && url.pathname.startsWith('/images/')) {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    return res.end(JSON.stringify({ Id: 'sha256:abc', Size: 137_000_000, RepoTags: ['flask_app:3.0'], RepoDigests: ['flask_app@sha256:def'] }));
  }
  res.writeHead(404).end('{"message":"page not found"}');
});
before(() => new Promise<void>((r) => server.listen(0, '127.0.0.1', () => ((port = (server.address() as { port: number }).port), r()))));
after(() => server.close());

test('pulls by name and tag as the CLI sends them, then reads what the node holds', async () => {
  const image = await pullImage('127.0.0.1', 'mysql/mysql-server:5.7', { port, timeoutMs: 5000 });
  assert.deepEqual(image, { id: 'sha256:abc', sizeBytes: 137_000_000, repoDigests: ['flask_app@sha256:def'] });
  assert.deepEqual(asked.splice(0), ['POST /images/create?fromImage=mysql%2Fmysql-server&tag=5.7', 'GET /images/mysql/mysql-server:5.7/json']);
  await pullImage('127.0.0.1', 'flask_app', { port, timeoutMs: 5000 });
  assert.equal(asked.splice(0)[0], 'POST /images/create?fromImage=flask_app&tag=latest', 'a name alone is its latest tag, never every tag');
  await pullImage('127.0.0.1', '10.91.255.254:5000/library/flask_app:3.0', { port, timeoutMs: 5000 });
  assert.equal(asked.splice(0)[0], `POST /images/create?fromImage=${encodeURIComponent('10.91.255.254:5000/library/flask_app')}&tag=3.0`);
});

test('an error inside the progress stream, an endless stream and a bad reference all reject', async () => {
  await assert.rejects(pullImage('127.0.0.1', 'missing:1', { port, timeoutMs: 5000 }), /manifest unknown/);
  await assert.rejects(pullImage('127.0.0.1', 'endless:1', { port, timeoutMs: 5000, maxBytes: 64 * 1024 }), (err) => err instanceof ReadLimitError && err.kind === 'size');
  await assert.rejects(pullImage('127.0.0.1', 'Flask App', { port, timeoutMs: 5000 }), /not an image reference/);
  const stop = new AbortController();
  const pulling = pullImage('127.0.0.1', 'endless:2', { port, timeoutMs: 5000, signal: stop.signal, maxBytes: 1e9 });
  stop.abort();
  await assert.rejects(pulling, /stopped/);
});

test('references the lessons use pass; junk does not', () => {
  for (const ok of ['flask_app:3.0', 'mysql/mysql-server:5.7', 'dockersamples/visualizer:latest', 'host:5000/a/b:c', `flask_app@sha256:${'a'.repeat(64)}`]) assert.match(ok, IMAGE_REFERENCE);
  for (const bad of ['', 'Flask', 'a b', 'flask_app:3.0;rm', '../x', 'flask_app:']) assert.doesNotMatch(bad, IMAGE_REFERENCE);
  assert.equal(pullError('{"status":"ok"}\n{"error":"boom"}\n'), 'boom');
  assert.equal(pullError('{"status":"ok"}\n'), undefined);
});
