import assert from 'node:assert/strict';
import http from 'node:http';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClusterEvents, type InnerEventsMessage } from './inner-events.ts';
import { innerApi } from './inner-api.ts';
import { waitFor } from '../../../test/helpers/wait.ts';

/** A stand-in engine: each /events connection sends its lines, then (for the first) ends, like a restarting dockerd. */
const connections: string[] = [];
const server = http.createServer((req, res) => {
  connections.push(req.url ?? '');
  res.writeHead(200, { 'Content-Type': 'application/json' });
  const n = connections.length;
  const line = (action: string, id: string) => JSON.stringify({ Type: 'container', Action: action, Actor: { ID: id, Attributes: { name: id } }, timeNano: 1_700_000_000_000_000_000 }) + '\n';
  res.write(line('exec_start: sh', 'noise'));
  // One event split over two chunks: lines are reassembled.
  const whole = line('start', `c${n}`);
  res.write(whole.slice(0, 10));
  setTimeout(() => (n === 1 ? res.end(whole.slice(10)) : res.write(whole.slice(10))), 20);
});
after(() => server.close());

test('events from a node, reconnect after the stream ends, resync on every connect; stops when the last listener leaves', async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const events = new ClusterEvents([{ name: 'manager', ip: '127.0.0.1' }], () => innerApi('127.0.0.1', { port }), { firstMs: 20, maxMs: 100 });
  const seen: InnerEventsMessage[] = [];
  const stop = events.subscribe((m) => seen.push(m));
  await waitFor(() => seen.filter((m) => m.kind === 'event').length >= 2, 5_000, 'two events over two connections', () => JSON.stringify(seen));
  const kinds = seen.map((m) => (m.kind === 'event' ? `${m.event.action}:${m.event.id}` : m.kind));
  assert.deepEqual(kinds.slice(0, 5), ['resync', 'start:c1', 'lost', 'resync', 'start:c2']);
  const first = seen[1] as Extract<InnerEventsMessage, { kind: 'event' }>;
  assert.equal(first.event.node, 'manager');
  assert.equal(first.event.type, 'container');
  assert.equal(first.event.time, 1_700_000_000_000);
  assert.match(decodeURIComponent(connections[0]!), /"type":\["container","service","node"/);

  // A second consumer shares the stream (no new connection) and learns it is live.
  const late: InnerEventsMessage[] = [];
  const stopLate = events.subscribe((m) => late.push(m));
  assert.deepEqual(late, [{ kind: 'resync', node: 'manager' }]);
  assert.equal(connections.length, 2);

  stop();
  stopLate();
  assert.equal(events.watching, false);
  const count = connections.length;
  await sleep(200);
  assert.equal(connections.length, count, 'no reconnects after the last listener left');
});

/** A node whose "dockerd" is the learner's: an endless line, or a flood of short lines. */
test('a node that sends an endless event line or floods is cut off, told as misbehaved, and the server memory stays flat', async () => {
  let sockets = 0;
  let closed = 0;
  const hostile = http.createServer((req, res) => {
    sockets++;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const flood = req.url?.includes('flood') ?? false;
    const chunk = flood ? Buffer.from('{"Type":"container","Action":"start"}\n'.repeat(2000)) : Buffer.alloc(64 * 1024, 0x61);
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    res.on('close', () => closed++);
    pump();
  });
  await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
  const port = (hostile.address() as { port: number }).port;
  try {
    for (const kind of ['line', 'flood']) {
      const before = process.memoryUsage().rss;
      const api = innerApi('127.0.0.1', { port });
      const events = new ClusterEvents(
        [{ name: 'manager', ip: '127.0.0.1' }],
        () => ({ ...api, events: (f) => api.events({ ...f, kind: [kind] }) }),
        { firstMs: 20, maxMs: 100, misbehavedMs: 60_000 },
      );
      const seen: InnerEventsMessage[] = [];
      const stop = events.subscribe((m) => seen.push(m));
      await waitFor(() => seen.some((m) => m.kind === 'lost'), 10_000, `the ${kind} stream is cut off`, () => JSON.stringify(seen.slice(0, 3)));
      const lost = seen.find((m) => m.kind === 'lost') as Extract<InnerEventsMessage, { kind: 'lost' }>;
      assert.equal(lost.misbehaved, true);
      assert.match(lost.error, kind === 'line' ? /event line longer than 64 KiB/ : /of events within 10 s/);
      await waitFor(() => closed >= sockets, 5_000, 'the hostile connection is closed');
      assert.ok(process.memoryUsage().rss - before < 64 * 1024 * 1024, 'memory stays flat');
      stop();
    }
  } finally {
    hostile.closeAllConnections();
    hostile.close();
  }
});
