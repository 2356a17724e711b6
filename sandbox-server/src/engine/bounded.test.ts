/**
 * Run: node --import tsx --test sandbox-server/src/engine/bounded.test.ts
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { boundedGet, ReadLimitError } from './bounded.ts';
import { innerApi } from './inner-api.ts';

let port = 0;
let open = 0;
/** /endless: a body that never ends; /trickle: one byte a second; /info: a normal answer. */
const server = http.createServer((req, res) => {
  open++;
  res.on('close', () => open--);
  res.writeHead(200, { 'Content-Type': 'application/json' });
  if (req.url === '/endless') {
    const chunk = Buffer.alloc(65536, 0x61);
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  } else if (req.url === '/trickle') {
    const t = setInterval(() => res.write('a'), 50);
    res.on('close', () => clearInterval(t));
  } else res.end(JSON.stringify({ Name: 'manager' }));
});
before(() => new Promise<void>((r) => server.listen(0, '127.0.0.1', () => ((port = (server.address() as { port: number }).port), r()))));
after(() => server.close());

test('an endless body fails at the size limit and the connection is closed', async () => {
  await assert.rejects(boundedGet({ host: '127.0.0.1', port, path: '/endless', limits: { maxBytes: 1024 * 1024, timeoutMs: 10_000 } }), (err) => err instanceof ReadLimitError && err.kind === 'size');
  const cut = await boundedGet({ host: '127.0.0.1', port, path: '/endless', limits: { maxBytes: 1000, timeoutMs: 10_000 }, truncate: true });
  assert.equal(cut.body.length, 1000);
  assert.ok(cut.truncated);
  await sleep(100);
  assert.equal(open, 0, 'no connection left open');
});

test('a trickle (never idle, never done) fails at the total time limit', async () => {
  const t0 = Date.now();
  await assert.rejects(boundedGet({ host: '127.0.0.1', port, path: '/trickle', limits: { maxBytes: 1024, timeoutMs: 300 } }), (err) => err instanceof ReadLimitError && err.kind === 'time');
  assert.ok(Date.now() - t0 < 2_000);
});

test('innerApi answers normal JSON and refuses a hostile answer', async () => {
  assert.deepEqual(await innerApi('127.0.0.1', { port }).info(), { Name: 'manager' });
  await assert.rejects(innerApi('127.0.0.1', { port, limits: { maxBytes: 4096 } }).listContainers(), /larger than|not a list/);
});
