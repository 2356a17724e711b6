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

function makeClient(sessionStatus = 200) {
  const calls: string[] = [];
  client = new SandboxClient({
    baseUrl: 'http://sandbox.test',
    random: () => 0.5,
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
});
