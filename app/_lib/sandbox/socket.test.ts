/**
 * The heartbeat against a fake WebSocket with short deadlines: a silent socket is dropped, but not
 * while input sent since the last pong may be held unread by the server's flow control (its own
 * input-stall deadline then closes the socket with a reason the learner can act on).
 */
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { SandboxSocket } from './socket.ts';

class FakeSocket {
  readyState = 0;
  binaryType = 'blob';
  sent: (string | Uint8Array)[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  send(d: string | Uint8Array) {
    this.sent.push(d);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
}

const heartbeat = { pingEveryMs: 20, pongTimeoutMs: 40, heldInputPongTimeoutMs: 200 };
// Mocked clocks: the deadlines are judged in virtual time, so a loaded machine cannot make them flaky.
const sleep = (ms: number) => {
  for (let t = 0; t < ms; t += 5) mock.timers.tick(5); // small steps: timers set by timers run too
};
let socket: SandboxSocket | null = null;
beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] }));
afterEach(() => {
  socket?.drop();
  mock.timers.reset();
});

function connect() {
  let fake!: FakeSocket;
  const silent: number[] = [];
  const started = Date.now();
  socket = new SandboxSocket(
    () => (fake = new FakeSocket()) as unknown as WebSocket,
    { onOpen: () => {}, onFrame: () => {}, onClose: () => {}, onSilent: () => silent.push(Date.now() - started) },
    heartbeat,
  );
  socket.open('ws://sandbox.test/sandbox/ws');
  fake.open();
  return { fake, silent, socket };
}

describe('SandboxSocket heartbeat', () => {
  it('drops a socket that answers no ping', () => {
    const { silent } = connect();
    sleep(150);
    assert.equal(silent.length, 1);
    assert.ok(silent[0]! < 150);
  });

  it('waits longer while input sent since the last pong may be held, then still drops a dead socket', () => {
    const { silent, socket } = connect();
    socket.send(new Uint8Array([1, 120])); // a paste the server stopped reading
    sleep(150);
    assert.equal(silent.length, 0, 'not dropped at the short deadline');
    sleep(250);
    assert.equal(silent.length, 1, 'dropped at the long one');
  });

  it('counts the long deadline from the last input sent, not from the ping (the server holds input from when it stops reading)', () => {
    const first = connect();
    sleep(100);
    assert.equal(first.silent.length, 1, 'control: no input, dropped at the short deadline');
    first.socket.drop();
    const second = connect();
    sleep(15);
    second.socket.send(new Uint8Array([1, 120]));
    sleep(150);
    second.socket.send(new Uint8Array([1, 120])); // more input, long after the ping
    sleep(150);
    assert.equal(second.silent.length, 0, 'not dropped 200 ms after the ping while input went out 150 ms ago');
    sleep(100);
    assert.equal(second.silent.length, 1, 'dropped 200 ms after the last input');
  });

  it('uses the short deadline again once a pong shows the server read everything', () => {
    const { fake, silent, socket } = connect();
    socket.send(new Uint8Array([1, 120]));
    sleep(30);
    fake.onmessage?.({ data: '{"type":"pong","id":1}' });
    socket.onPong();
    sleep(150);
    assert.equal(silent.length, 1);
  });
});
