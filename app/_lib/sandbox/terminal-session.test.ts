import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientMessage } from '@contract/protocol.ts';
import { TerminalSession, type TerminalTransport } from './terminal-session.ts';
import type { TerminalSink } from './types.ts';

function setup() {
  const sent: (ClientMessage | Uint8Array)[] = [];
  const view: string[] = [];
  const pendingRenders: (() => void)[] = [];
  let ready = true;
  const transport: TerminalTransport = {
    sendControl: (m) => (sent.push(m), true),
    sendBinary: (f) => (sent.push(f), true),
    canOpen: () => ready,
    release: () => {},
  };
  const sink: TerminalSink = {
    write: (data, rendered) => {
      view.push(new TextDecoder().decode(data));
      pendingRenders.push(rendered);
    },
    notice: (t) => view.push(`<${t}>`),
    clear: () => view.push('<clear>'),
  };
  const t = new TerminalSession('t-manager', 'manager', { cols: 80, rows: 24 }, sink, transport);
  return {
    t,
    sent,
    view,
    renderAll: () => pendingRenders.splice(0).forEach((r) => r()),
    setReady: (v: boolean) => (ready = v),
    controls: () => sent.filter((m): m is ClientMessage => !(m instanceof Uint8Array)),
    inputs: () => sent.filter((m): m is Uint8Array => m instanceof Uint8Array).map((f) => [f[0], new TextDecoder().decode(f.subarray(1))]),
  };
}

const bytes = (s: string) => new TextEncoder().encode(s);

describe('TerminalSession', () => {
  it('opens without offset on a fresh view and queues input until attached', () => {
    const s = setup();
    s.t.tryOpen();
    assert.deepEqual(s.controls(), [{ type: 'open', terminalId: 't-manager', node: 'manager', cols: 80, rows: 24 }]);
    s.t.input('docker swarm init\r');
    assert.deepEqual(s.inputs(), [], 'nothing sent before `opened`');
    s.t.onOpened(4, 0);
    assert.deepEqual(s.inputs(), [[4, 'docker swarm init\r']]);
    assert.equal(s.t.getState(), 'open');
  });

  it('reattaches after a disconnect with the offset it has, so nothing is duplicated', () => {
    const s = setup();
    s.t.tryOpen();
    s.t.onOpened(1, 100);
    s.t.onOutput(bytes('hello'));
    s.t.onDisconnected();
    assert.equal(s.t.getState(), 'waiting');
    s.t.tryOpen();
    assert.deepEqual(s.controls().at(-1), { type: 'open', terminalId: 't-manager', node: 'manager', cols: 80, rows: 24, offset: 105 });
    s.t.onOpened(2, 105);
    assert.deepEqual(s.view, ['hello'], 'no clear, no notice');
  });

  it('clears the view when the server starts a new stream', () => {
    const s = setup();
    s.t.tryOpen();
    s.t.onOpened(1, 0);
    s.t.onOutput(bytes('old'));
    s.t.onDisconnected();
    s.t.tryOpen();
    s.t.onOpened(1, 0);
    assert.deepEqual(s.view, ['old', '<clear>']);
  });

  it('acks only after output was rendered', () => {
    const s = setup();
    s.t.tryOpen();
    s.t.onOpened(1, 0);
    s.t.onOutput(new Uint8Array(70 * 1024));
    assert.equal(s.controls().filter((m) => m.type === 'ack').length, 0);
    s.renderAll();
    assert.deepEqual(s.controls().filter((m) => m.type === 'ack'), [{ type: 'ack', terminalId: 't-manager', offset: 70 * 1024 }]);
  });

  it('starts a clean shell after a cluster reset', () => {
    const s = setup();
    s.t.tryOpen();
    s.t.onOpened(1, 0);
    s.t.onOutput(bytes('before reset'));
    s.setReady(false);
    s.t.onClusterGone('resetting', 'your nodes used too much disk');
    assert.equal(s.t.getState(), 'waiting');
    assert.match(s.view.at(-1)!, /^<\[cluster resetting \(your nodes used too much disk\): this shell is gone/, 'the learner reads why');
    s.t.tryOpen();
    assert.equal(s.controls().filter((m) => m.type === 'open').length, 1, 'no open while the cluster is not ready');
    s.setReady(true);
    s.t.tryOpen();
    const open = s.controls().at(-1);
    assert.equal(open?.type, 'open');
    assert.equal(open?.type === 'open' && open.offset, undefined, 'fresh open replays the new shell from the start');
    assert.equal(s.view.at(-1), '<clear>');
  });

  it('offers a new shell on Enter after the shell exited', () => {
    const s = setup();
    s.t.tryOpen();
    s.t.onOpened(1, 0);
    s.t.onExited(0);
    assert.equal(s.t.getState(), 'exited');
    s.t.input('x');
    assert.equal(s.t.getState(), 'exited', 'other keys do nothing');
    s.t.input('\r');
    assert.equal(s.t.getState(), 'opening');
  });

  it('resizes the server side once attached, and detaches on close', () => {
    const s = setup();
    s.t.tryOpen();
    s.t.resize(100, 30);
    s.t.onOpened(1, 0);
    assert.deepEqual(s.controls().at(-1), { type: 'resize', terminalId: 't-manager', cols: 100, rows: 30 });
    s.t.close();
    assert.deepEqual(s.controls().at(-1), { type: 'detach', terminalId: 't-manager' });
    assert.equal(s.t.getState(), 'closed');
  });

  it('retries an open the server answered not_ready, even if no cluster message follows', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const s = setup();
    const opens = () => s.controls().filter((m) => m.type === 'open').length;
    s.t.tryOpen();
    s.t.onError('not_ready', 'your cluster is not ready');
    assert.equal(s.t.getState(), 'waiting');
    t.mock.timers.tick(399);
    assert.equal(opens(), 1, 'not at once');
    t.mock.timers.tick(201); // the first retry comes within 500 ms +-20%
    assert.equal(opens(), 2);
    assert.equal(s.t.getState(), 'opening');

    // Backing off: the second retry waits about twice as long.
    s.t.onError('not_ready', 'still not ready');
    t.mock.timers.tick(700);
    assert.equal(opens(), 2);
    t.mock.timers.tick(500);
    assert.equal(opens(), 3);
    s.t.onOpened(0, 0);
    assert.equal(s.t.getState(), 'open');
  });

  it('a not_ready retry waits while the cluster is not ready, and a cluster message opens only once', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const s = setup();
    const opens = () => s.controls().filter((m) => m.type === 'open').length;
    s.t.tryOpen();
    s.setReady(false);
    s.t.onError('not_ready', 'starting your cluster');
    t.mock.timers.tick(60_000);
    assert.equal(opens(), 1, 'no open while the cluster is not ready');
    s.setReady(true);
    s.t.tryOpen(); // the `ready` cluster message
    assert.equal(opens(), 2);

    // A cluster message that comes before the retry makes the retry moot.
    s.t.onError('not_ready', 'not ready');
    s.t.tryOpen();
    t.mock.timers.tick(60_000);
    assert.equal(opens(), 3, 'no second open');
  });

  it('closing drops a pending not_ready retry', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const s = setup();
    s.t.tryOpen();
    s.t.onError('not_ready', 'not ready');
    s.t.close();
    t.mock.timers.tick(60_000);
    assert.equal(s.controls().filter((m) => m.type === 'open').length, 1);
  });
});
