/**
 * Preview upgrades against a scripted app on 127.0.0.1: a tunnel only on `101` + `Upgrade:
 * websocket` (an app answering 200 keeps no connection and never sees a pipelined request), no other
 * Upgrade reaches the app, tunnels per session are capped and idle ones closed; an answer Node will
 * not relay (status 099) becomes a 502 page instead of a hung request.
 * Run: node --import tsx --test sandbox-server/src/preview/tunnel.test.ts
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../../../test/helpers/wait.ts';
import type { Logger } from '../log.ts';
import type { SessionManager } from '../sessions/manager.ts';
import { mintToken } from './capability.ts';
import { handlePreview, handlePreviewUpgrade, type PreviewDeps } from './proxy.ts';
import { openTunnels, parseResponseHead } from './tunnel.ts';

const WS_101 = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\nSet-Cookie: swb_session=planted\r\n\r\n';

/** The learner's app: answers by request path, and records every byte each connection sent it. */
function scriptedApp(): { server: net.Server; seen: string[] } {
  const seen: string[] = [];
  const server = net.createServer((c) => {
    const i = seen.push('') - 1;
    c.on('error', () => undefined);
    c.on('data', (d) => {
      const first = !seen[i];
      seen[i] += d.toString('latin1');
      if (!first) return void (seen[i]!.startsWith('GET /ws') && c.write(d)); // the tunnel echoes
      if (seen[i]!.startsWith('GET /ws')) c.write(WS_101);
      else if (seen[i]!.startsWith('GET /ok200')) c.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'); // and keeps the connection
      else if (seen[i]!.startsWith('GET /weird')) c.write('HTTP/1.1 099 Weird\r\nContent-Length: 2\r\n\r\nok');
      else if (seen[i]!.startsWith('GET /long')) c.write(`HTTP/1.1 101 Switching Protocols\r\nX: ${'a'.repeat(64 * 1024)}`);
    });
  });
  return { server, seen };
}

describe('preview upgrades', () => {
  const app = scriptedApp();
  let proxy: http.Server;
  let base = '';
  const owner = `owner-${crypto.randomUUID()}`;
  const deps: PreviewDeps = {
    sessions: { ownerOfCluster: () => ({ id: owner, cluster: { node: () => ({ ip: '127.0.0.1' }) } }) } as unknown as SessionManager,
    sessionOf: () => undefined,
    tokenSecret: crypto.randomBytes(32),
    log: { info: () => undefined, warn: () => undefined, error: () => undefined, child: () => deps.log } as Logger,
    tunnels: { maxPerSession: 2, idleMs: 300, headTimeoutMs: 2_000 },
  };

  before(async () => {
    await new Promise<void>((r) => app.server.listen(0, '127.0.0.1', r));
    const port = (app.server.address() as net.AddressInfo).port;
    const token = mintToken(deps.tokenSecret!, owner, { clusterId: 'abc123', node: 'manager', port }, Date.now() + 60_000);
    base = `/sandbox/preview/abc123/manager/${port}~${token}`;
    proxy = http.createServer((req, res) => void handlePreview(req, res, new URL(req.url!, 'http://local'), deps));
    proxy.on('upgrade', (req, socket, head) => handlePreviewUpgrade(req, socket, head, deps));
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  });
  after(() => {
    proxy.close();
    app.server.close();
  });

  /** A raw client: sends `text`, collects what comes back until the server closes (or `until` holds). */
  function client(text: string): { socket: net.Socket; got: () => string; closed: Promise<void> } {
    const socket = net.connect((proxy.address() as net.AddressInfo).port, '127.0.0.1');
    let got = '';
    socket.on('data', (d) => (got += d.toString('latin1')));
    socket.on('error', () => undefined);
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.write(text);
    return { socket, got: () => got, closed };
  }
  const upgrade = (path: string, proto = 'websocket') =>
    `GET ${base}${path} HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: ${proto}\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;

  it('parses answer heads strictly', () => {
    const ok = parseResponseHead(Buffer.from(`${WS_101}rest`));
    assert.ok(typeof ok === 'object');
    assert.equal(ok.status, 101);
    assert.equal(ok.headers.upgrade, 'websocket');
    assert.deepEqual(ok.headers['set-cookie'], ['swb_session=planted']);
    assert.equal(ok.rest.toString(), 'rest');
    assert.equal(parseResponseHead(Buffer.from('HTTP/1.1 101 OK\r\nUpgrade: websocket\r\n')), 'incomplete');
    for (const bad of ['HTTP/1.1 99 Low\r\n\r\n', 'HTTP/2 101\r\n\r\n', 'HTTP/1.1 101 X\r\n folded\r\n\r\n', 'HTTP/1.1 101 X\r\nA: b\nInjected: 1\r\n\r\n', 'HTTP/1.1 101 X\r\n: v\r\n\r\n']) {
      assert.equal(parseResponseHead(Buffer.from(bad)), 'invalid', JSON.stringify(bad));
    }
  });

  it('an app answering 200 to an upgrade gets no tunnel: the client gets a 502 and a closed socket, the pipelined request never reaches the app', async () => {
    const before = app.seen.length;
    const c = client(`${upgrade('/ok200')}GET /second HTTP/1.1\r\nHost: localhost\r\n\r\n`);
    await c.closed;
    assert.match(c.got(), /^HTTP\/1\.1 502 Bad Gateway\r\n/);
    assert.match(c.got(), /\r\nConnection: close\r\n/);
    assert.match(c.got(), /did not switch to WebSocket \(it answered HTTP 200\)/);
    assert.equal(app.seen.length, before + 1, 'one connection to the app');
    assert.doesNotMatch(app.seen.at(-1)!, /second/, 'the second request was not delivered to the app');
    await waitFor(() => openTunnels(owner) === 0, 2_000, 'the tunnel slot back');
  });

  it('control: an app answering 101 websocket is tunnelled both ways, its Set-Cookie dropped', async () => {
    const c = client(upgrade('/ws'));
    await waitFor(() => c.got().includes('\r\n\r\n'), 5_000, 'the 101');
    assert.match(c.got(), /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.doesNotMatch(c.got(), /set-cookie|planted/i);
    c.socket.write('hello through the tunnel');
    await waitFor(() => c.got().endsWith('hello through the tunnel'), 5_000, 'the echo');
    c.socket.destroy();
  });

  it('only WebSocket upgrades, before the app is contacted (any case of the word)', async () => {
    const before = app.seen.length;
    const c = client(upgrade('/ws', 'h2c'));
    await c.closed;
    assert.match(c.got(), /^HTTP\/1\.1 400 /);
    assert.match(c.got(), /WebSocket upgrades only/);
    assert.equal(app.seen.length, before, 'the app was never contacted');
    const mixed = client(upgrade('/ws', 'WebSocket'));
    await waitFor(() => mixed.got().startsWith('HTTP/1.1 101'), 5_000, '101 for "WebSocket"');
    mixed.socket.destroy();
  });

  it('an over-long answer head ends in a 502, not an unbounded buffer', async () => {
    const c = client(upgrade('/long'));
    await c.closed;
    assert.match(c.got(), /^HTTP\/1\.1 502 [^]*over-long answer/);
  });

  it('tunnels per session are capped with words, and a closed one frees its place', async () => {
    await waitFor(() => openTunnels(owner) === 0, 2_000, 'no tunnels left from earlier tests');
    const a = client(upgrade('/ws'));
    const b = client(upgrade('/ws'));
    await waitFor(() => a.got().startsWith('HTTP/1.1 101') && b.got().startsWith('HTTP/1.1 101'), 5_000, 'two tunnels');
    const third = client(upgrade('/ws'));
    await third.closed;
    assert.match(third.got(), /^HTTP\/1\.1 429 [^]*already have 2 WebSockets open/);
    a.socket.destroy();
    await waitFor(() => openTunnels(owner) === 1, 2_000, 'the place freed');
    const fourth = client(upgrade('/ws'));
    await waitFor(() => fourth.got().startsWith('HTTP/1.1 101'), 5_000, 'a tunnel again');
    b.socket.destroy();
    fourth.socket.destroy();
  });

  it('an idle tunnel is closed; control: one that carries bytes stays open past the idle time', async () => {
    await waitFor(() => openTunnels(owner) === 0, 2_000, 'no tunnels left from earlier tests');
    // Before the upgrade is sent: the tunnel's idle clock cannot start earlier (taken after the 101, a
    // loaded host's late client would see the close "early").
    const started = Date.now();
    const idle = client(upgrade('/ws'));
    const busy = client(upgrade('/ws'));
    await waitFor(() => busy.got().startsWith('HTTP/1.1 101') && idle.got().startsWith('HTTP/1.1 101'), 5_000, 'two tunnels');
    const keepAlive = setInterval(() => busy.socket.write('.'), 50);
    try {
      await idle.closed;
      assert.ok(Date.now() - started >= 250, 'closed after the idle time, not before');
      await new Promise((r) => setTimeout(r, 400)); // the busy one lives past it
      assert.equal(busy.socket.destroyed, false, 'a tunnel in use stays open');
    } finally {
      // Also when an assertion fails: a live interval and socket would keep the test file from ever ending.
      clearInterval(keepAlive);
      busy.socket.destroy();
    }
  });

  it('an app answering with a status Node cannot relay (099) gets the browser a 502 page in words, not a hang', async () => {
    const res = await fetch(`http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}${base}/weird`);
    assert.equal(res.status, 502);
    assert.match(await res.text(), /not valid HTTP/);
  });
});
