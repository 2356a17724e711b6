import assert from 'node:assert/strict';
import http from 'node:http';
import { after, test } from 'node:test';
import Docker from 'dockerode';
import { ClusterEvents, type InnerEventsMessage } from './inner-events.js';
import { waitFor } from '../../../test/helpers/wait.js';

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
  const events = new ClusterEvents([{ name: 'manager', ip: '127.0.0.1' }], () => new Docker({ host: '127.0.0.1', port, protocol: 'http' }), { firstMs: 20, maxMs: 100 });
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
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(connections.length, count, 'no reconnects after the last listener left');
});
