/**
 * SandboxClient against a fake WebSocket and fetch: the session is claimed,
 * terminals open once the cluster is ready, output reaches the right view,
 * and close codes decide between reconnecting and asking the learner.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeCodes } from '@contract/protocol.ts';
import { SandboxClient } from './client.ts';
import type { TerminalSink } from './types.ts';

class FakeSocket {
  static last: FakeSocket | null = null;
  readyState = 0;
  binaryType = 'blob';
  sent: (string | Uint8Array)[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.last = this;
  }
  send(d: string | Uint8Array) {
    this.sent.push(d);
  }
  close() {
    this.readyState = 3;
  }
  // test helpers
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  receive(msg: object | Uint8Array) {
    this.onmessage?.({ data: msg instanceof Uint8Array ? msg.buffer.slice(msg.byteOffset, msg.byteOffset + msg.byteLength) : JSON.stringify(msg) });
  }
  serverClose(code: number) {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
  controls() {
    return this.sent.filter((s): s is string => typeof s === 'string').map((s) => JSON.parse(s) as { type: string });
  }
}

const cluster = (status: string) => ({ status, nodes: [{ name: 'manager', role: 'manager', ip: '10.0.0.2' }], hostLimits: [] });
const tick = () => new Promise((r) => setTimeout(r, 0));

let client: SandboxClient | null = null;
afterEach(() => {
  // Stop timers so the test process can exit.
  client?.stop();
  client = null;
});

function makeClient(sessionStatus = 200, now?: () => number) {
  const calls: string[] = [];
  client = new SandboxClient({
    baseUrl: 'http://sandbox.test',
    random: () => 0.5,
    ...(now ? { now } : {}),
    createWebSocket: (url) => new FakeSocket(url) as unknown as WebSocket,
    fetch: async (url, init) => {
      calls.push(`${init?.method ?? 'GET'} ${url}`);
      if (sessionStatus !== 200) return new Response('down', { status: sessionStatus });
      return Response.json({ cluster: cluster('provisioning') });
    },
  });
  return { client, calls };
}

function sink() {
  const out: string[] = [];
  const s: TerminalSink = { write: (d, done) => (out.push(new TextDecoder().decode(d)), done()), notice: (t) => out.push(`<${t}>`), clear: () => out.push('<clear>') };
  return { s, out };
}

describe('SandboxClient', () => {
  it('claims a session, then opens terminals when the cluster is ready', async () => {
    const { client, calls } = makeClient();
    client.acquire();
    await tick();
    assert.deepEqual(calls, ['POST http://sandbox.test/sandbox/session']);
    const ws = FakeSocket.last!;
    assert.equal(ws.url, 'ws://sandbox.test/sandbox/ws');
    const view = sink();
    const term = client.openTerminal({ node: 'manager', cols: 80, rows: 24, sink: view.s });
    ws.open();
    assert.equal(client.getSnapshot().connection.kind, 'connected');
    assert.equal(ws.controls().filter((m) => m.type === 'open').length, 0, 'cluster still provisioning');
    ws.receive({ type: 'cluster', cluster: cluster('ready') });
    assert.deepEqual(ws.controls().filter((m) => m.type === 'open'), [{ type: 'open', terminalId: 't-manager', node: 'manager', cols: 80, rows: 24 }]);
    ws.receive({ type: 'opened', terminalId: 't-manager', node: 'manager', channel: 9, offset: 0 });
    ws.receive(new Uint8Array([9, 36, 32])); // "$ "
    ws.receive(new Uint8Array([8, 88])); // another channel: ignored
    assert.deepEqual(view.out, ['$ ']);
    term.input('ls\r');
    const input = ws.sent.at(-1) as Uint8Array;
    assert.deepEqual([...input], [9, 108, 115, 13]);
  });

  it('reconnects after a drop and reattaches at the received offset', async () => {
    const { client } = makeClient();
    client.acquire();
    await tick();
    let ws = FakeSocket.last!;
    const view = sink();
    client.openTerminal({ node: 'manager', cols: 80, rows: 24, sink: view.s });
    ws.open();
    ws.receive({ type: 'cluster', cluster: cluster('ready') });
    ws.receive({ type: 'opened', terminalId: 't-manager', node: 'manager', channel: 1, offset: 0 });
    ws.receive(new Uint8Array([1, 97, 98, 99]));
    ws.serverClose(1006);
    const state = client.getSnapshot().connection;
    assert.equal(state.kind, 'retrying');
    assert.equal(state.kind === 'retrying' && state.everConnected, true);
    client.retryNow();
    await tick();
    ws = FakeSocket.last!;
    ws.open();
    ws.receive({ type: 'cluster', cluster: cluster('ready') });
    assert.deepEqual(ws.controls().find((m) => m.type === 'open'), { type: 'open', terminalId: 't-manager', node: 'manager', cols: 80, rows: 24, offset: 3 });
  });

  it('stops and asks the learner when the session expired or is missing', async () => {
    for (const [code, reason] of [
      [closeCodes.sessionExpired, 'expired'],
      [closeCodes.noSession, 'no-session'],
    ] as const) {
      const { client } = makeClient();
      client.acquire();
      await tick();
      FakeSocket.last!.open();
      FakeSocket.last!.serverClose(code);
      assert.deepEqual(client.getSnapshot().connection, { kind: 'stopped', reason });
      client.stop();
    }
  });

  it('reports an unreachable server and keeps retrying', async () => {
    const { client } = makeClient(502);
    client.acquire();
    await tick();
    await tick();
    const state = client.getSnapshot().connection;
    assert.equal(state.kind, 'retrying');
    assert.equal(state.kind === 'retrying' && state.everConnected, false);
  });

  it('sends a claim the browser dropped again (a network change), but not one the server refused', async () => {
    for (const [failure, expectClaims] of [['dropped', 2], ['refused', 1]] as const) {
      const claims: number[] = [];
      client = new SandboxClient({
        baseUrl: 'http://sandbox.test',
        createWebSocket: (url) => new FakeSocket(url) as unknown as WebSocket,
        fetch: async (url) => {
          if (!url.endsWith('/claim')) return Response.json({ cluster: cluster('unclaimed') });
          claims.push(Date.now());
          if (claims.length > 1) return Response.json({ cluster: cluster('provisioning') });
          if (failure === 'dropped') throw new TypeError('Failed to fetch'); // what net::ERR_NETWORK_CHANGED looks like
          return Response.json({ error: 'too many sandboxes on this network' }, { status: 429 });
        },
      });
      client.acquire();
      await tick();
      client.claim();
      const deadline = Date.now() + 5000;
      while (client.getSnapshot().cluster?.status !== 'provisioning' && !client.getSnapshot().cluster?.progress && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(claims.length, expectClaims, failure);
      if (failure === 'dropped') assert.equal(client.getSnapshot().cluster?.status, 'provisioning');
      else assert.match(client.getSnapshot().cluster?.progress ?? '', /too many sandboxes/);
      client.stop();
    }
  });

  it('does not come back by itself when the session has too many sockets, and does on Retry', async () => {
    const { client } = makeClient();
    client.acquire();
    await tick();
    const first = FakeSocket.last!;
    first.open();
    first.serverClose(closeCodes.tooManySockets);
    assert.deepEqual(client.getSnapshot().connection, { kind: 'stopped', reason: 'too-many-sockets' });
    client.retryNow(); // what a visible tab or a network coming back does: nothing here
    await new Promise((r) => setTimeout(r, 700)); // longer than the first backoff (500 ms)
    assert.equal(FakeSocket.last, first, 'no new socket');
    client.reconnect();
    await tick();
    assert.notEqual(FakeSocket.last, first);
    FakeSocket.last!.open();
    assert.equal(client.getSnapshot().connection.kind, 'connected');
  });

  it('reconnects once after an input stall with a notice, and stops when it happens again soon', async () => {
    let now = 1_000_000;
    const { client } = makeClient(200, () => now);
    client.acquire();
    await tick();
    FakeSocket.last!.open();
    FakeSocket.last!.serverClose(closeCodes.inputStalled);
    const state = client.getSnapshot();
    assert.equal(state.connection.kind, 'retrying');
    assert.deepEqual(state.notice, { kind: 'input-stalled', at: now });
    assert.ok(state.connection.kind === 'retrying' && state.connection.retryAt - now <= 600, 'at once, not after a growing backoff');
    client.retryNow();
    await tick();
    FakeSocket.last!.open();
    assert.equal(client.getSnapshot().connection.kind, 'connected');
    assert.equal(client.getSnapshot().notice?.kind, 'input-stalled', 'still said after reconnecting');
    now += 40_000;
    const second = FakeSocket.last!;
    second.serverClose(closeCodes.inputStalled);
    assert.deepEqual(client.getSnapshot().connection, { kind: 'stopped', reason: 'input-stalled' });
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(FakeSocket.last, second, 'no reconnect loop');
    client.dismissNotice();
    assert.equal(client.getSnapshot().notice, null);
  });

  it('waits out a 429 on the session as long as Retry-After says, then connects', async () => {
    let calls = 0;
    const seen: { kind: string; refusal?: string; wait?: number }[] = [];
    client = new SandboxClient({
      baseUrl: 'http://sandbox.test',
      random: () => 0,
      createWebSocket: (url) => new FakeSocket(url) as unknown as WebSocket,
      fetch: async () => {
        if (++calls === 1) return Response.json({ error: 'Too many new sessions from your network; try again in 1 s.' }, { status: 429, headers: { 'retry-after': '1' } });
        return Response.json({ cluster: cluster('unclaimed') });
      },
    });
    client.subscribe(() => {
      const c = client!.getSnapshot().connection;
      if (c.kind === 'retrying') seen.push({ kind: c.kind, refusal: c.refusal, wait: c.retryAt - Date.now() });
    });
    const t0 = Date.now();
    client.acquire();
    await tick();
    await tick();
    client.retryNow(); // the tab became visible again: the server's wait still stands
    const deadline = Date.now() + 5000;
    while (calls < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(calls, 2);
    assert.ok(Date.now() - t0 >= 950, `waited ${Date.now() - t0} ms`);
    assert.equal(seen[0]?.refusal, 'Too many new sessions from your network; try again in 1 s.');
    assert.ok(seen[0]!.wait! > 900);
    await tick();
    FakeSocket.last!.open();
    assert.equal(client.getSnapshot().connection.kind, 'connected');
  });

  it('stops asking for a session after a bounded number of 429s, and tries again on the button', async () => {
    let calls = 0;
    client = new SandboxClient({
      baseUrl: 'http://sandbox.test',
      random: () => 0,
      createWebSocket: (url) => new FakeSocket(url) as unknown as WebSocket,
      fetch: async () => {
        calls++;
        return Response.json({ error: 'Too many new sessions from your network; try again in 0 s.' }, { status: 429, headers: { 'retry-after': '0' } });
      },
    });
    client.acquire();
    const deadline = Date.now() + 5000;
    while (client.getSnapshot().connection.kind !== 'stopped' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(client.getSnapshot().connection, { kind: 'stopped', reason: 'refused', message: 'Too many new sessions from your network; try again in 0 s.' });
    const refused = calls;
    assert.ok(refused >= 2 && refused <= 10, `${refused} requests`);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(calls, refused, 'no more by itself');
    client.reconnect();
    await tick();
    assert.equal(calls, refused + 1);
  });

  it('keeps a refused claim\'s words and Retry-After, and Start still claims', async () => {
    let claims = 0;
    const now = 5_000_000;
    client = new SandboxClient({
      baseUrl: 'http://sandbox.test',
      now: () => now,
      createWebSocket: (url) => new FakeSocket(url) as unknown as WebSocket,
      fetch: async (url) => {
        if (!url.endsWith('/claim')) return Response.json({ cluster: cluster('unclaimed') });
        if (++claims === 1) return Response.json({ error: 'All 3 sandboxes for visitors are in use.' }, { status: 429, headers: { 'retry-after': '60' } });
        return Response.json({ cluster: cluster('provisioning') });
      },
    });
    client.acquire();
    await tick();
    client.claim();
    const deadline = Date.now() + 5000;
    while (!client.getSnapshot().claimRefusal && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(client.getSnapshot().claimRefusal, { message: 'All 3 sandboxes for visitors are in use.', retryAt: now + 60_000 });
    assert.equal(client.getSnapshot().cluster?.status, 'unclaimed');
    client.claim();
    while (client.getSnapshot().cluster?.status !== 'provisioning' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(claims, 2);
    assert.equal(client.getSnapshot().claimRefusal, null, 'history once the cluster starts');
  });
});
