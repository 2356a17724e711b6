/**
 * The bookkeeping of one browser socket's terminals, with the awaits of an
 * `open` (cluster, then shell) held open by hand so that opens overlap in
 * exactly the order that once gave two shells one channel.
 * Run: node --import tsx --test sandbox-server/src/browser/connection.test.ts
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import type { WebSocket } from 'ws';
import type { CheckClient, CheckService } from '../checks/checker.ts';
import type { Logger } from '../log.ts';
import { closeCodes, decodeBinary, encodeBinary, type ClientMessage, type ServerMessage } from '@contract/protocol.ts';
import type { LearnerSession, SessionManager } from '../sessions/manager.ts';
import { INPUT_PAUSE_BYTES, TerminalSession, type TerminalViewer } from '../terminals/terminal.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import { BrowserConnection, DEFAULT_CONNECTION_OPTIONS, INPUT_MAX_QUEUED, MAX_SOCKETS_PER_SESSION, checkSocketCap, type ConnectionOptions } from './connection.ts';
import { SocketRefusal } from '../http/errors.ts';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: Error): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** Let every pending promise continuation run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A shell: records who is attached and what was typed into it. */
class FakeShell {
  readonly viewers = new Set<TerminalViewer>();
  readonly typed: string[] = [];
  attach(viewer: TerminalViewer): { from: number; data: Buffer } {
    this.viewers.add(viewer);
    return { from: 0, data: Buffer.alloc(0) };
  }
  detach(viewer: TerminalViewer): void {
    this.viewers.delete(viewer);
  }
  write(data: Buffer): boolean {
    this.typed.push(data.toString('utf8'));
    return true;
  }
  dropInput(): number {
    return 0;
  }
  resize(): void {}
  ack(): void {}
}

/** The socket as the connection uses it: events in, `send` out, `readyState`. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  readonly messages: ServerMessage[] = [];
  readonly binary: { channel: number; text: string }[] = [];
  send(data: string | Buffer, opts?: { binary?: boolean }): void {
    if (opts?.binary && typeof data !== 'string') {
      const frame = decodeBinary(new Uint8Array(data))!;
      this.binary.push({ channel: frame.channel, text: Buffer.from(frame.payload).toString('utf8') });
    } else {
      this.messages.push(JSON.parse(data.toString()) as ServerMessage);
    }
  }
  closeCode: number | undefined;
  closeReason = '';
  close(code?: number, reason?: string): void {
    if (this.readyState === 3) return;
    this.closeCode = code;
    this.closeReason = reason ?? '';
    this.readyState = 3;
    this.emit('close');
  }
  /** Like ws: a paused socket is not read, so (see InputClient) its peer's frames wait. */
  paused = false;
  pauses = 0;
  pause(): void {
    this.paused = true;
    this.pauses++;
  }
  resume(): void {
    this.paused = false;
    this.emit('resumed');
  }
  pings = 0;
  terminated = false;
  ping(): void {
    this.pings++;
  }
  terminate(): void {
    this.terminated = true;
    this.close();
  }
}

function setup(opts?: ConnectionOptions) {
  const ws = new FakeSocket();
  /** Each `cluster.terminal` call, in order: the test decides when (and whether) its shell starts. */
  const starts: { terminalId: string; node: string; shell: Deferred<FakeShell> }[] = [];
  const cluster = {
    cluster: { nodes: [{ name: 'manager' }, { name: 'worker-1' }] },
    node: (name: string) => (['manager', 'worker-1'].includes(name) ? { name } : undefined),
    terminal: (terminalId: string, node: string) => {
      const shell = deferred<FakeShell>();
      starts.push({ terminalId, node, shell });
      return shell.promise;
    },
    state: { subscribe: () => () => undefined },
  };
  let clusterReady = deferred<typeof cluster>();
  const session = {
    connections: 0,
    lastSeen: 0,
    info: { status: 'provisioning', nodes: [], hostLimits: [] },
    cluster: undefined,
    onChange: () => () => undefined,
  };
  const sessions = { ensureCluster: () => clusterReady.promise };
  let checksClosed = false;
  const checkClient: CheckClient = { watch: () => undefined, check: async () => undefined, apply: async () => undefined, close: () => (checksClosed = true) };
  const checks = { connect: () => checkClient };
  const logged: string[] = [];
  const log: Logger = { info: () => undefined, warn: (msg, fields) => logged.push(`${msg} ${JSON.stringify(fields ?? {})}`), error: () => undefined, child: () => log };

  const conn = new BrowserConnection(
    ws as unknown as WebSocket,
    session as unknown as LearnerSession,
    sessions as unknown as SessionManager,
    checks as unknown as CheckService,
    log,
    opts,
  );

  return {
    ws,
    logged,
    session,
    starts,
    /** The cluster becomes ready: every `ensureCluster` waiting (and every later one) gets it. */
    clusterReady: () => clusterReady.resolve(cluster),
    clusterFails: () => clusterReady.reject(new Error('no cluster')),
    /** A fresh, not yet settled cluster claim for later opens. */
    clusterPendingAgain: () => (clusterReady = deferred<typeof cluster>()),
    checksClosed: () => checksClosed,
    send: (msg: ClientMessage) => ws.emit('message', Buffer.from(JSON.stringify(msg)), false),
    type: (channel: number, text: string) => ws.emit('message', Buffer.from(encodeBinary(channel, Buffer.from(text))), true),
    open: (terminalId: string, node: 'manager' | 'worker-1') => ({ type: 'open', terminalId, node, cols: 80, rows: 24 }) as const,
    opened: () => ws.messages.filter((m): m is Extract<ServerMessage, { type: 'opened' }> => m.type === 'opened'),
    errors: () => ws.messages.filter((m): m is Extract<ServerMessage, { type: 'error' }> => m.type === 'error'),
    /** The connection's own books, read only to prove nothing is left behind. */
    books: () => {
      const c = conn as unknown as { byId: Map<string, unknown>; byChannel: Map<number, unknown>; opening?: Map<string, unknown> };
      return { attached: c.byId.size, channels: c.byChannel.size, opening: c.opening?.size ?? 0 };
    },
  };
}

const shellFor = (s: ReturnType<typeof setup>, terminalId: string, n = 0) => s.starts.filter((x) => x.terminalId === terminalId)[n]!;

describe('BrowserConnection: terminal opens', () => {
  it('two overlapping opens of different terminals get different channels, whatever order their shells start in', async () => {
    const s = setup();
    // Both opens arrive while the cluster is still starting (a Run pressed right after load).
    s.send(s.open('t-manager', 'manager'));
    s.send(s.open('t-worker-1', 'worker-1'));
    await settle();
    s.clusterReady();
    await settle();
    assert.deepEqual(s.starts.map((x) => x.terminalId), ['t-manager', 't-worker-1'], 'both shells are starting at once');

    // The later open's shell starts first.
    const manager = new FakeShell();
    const worker = new FakeShell();
    shellFor(s, 't-worker-1').shell.resolve(worker);
    await settle();
    shellFor(s, 't-manager').shell.resolve(manager);
    await settle();

    const opened = s.opened();
    assert.equal(opened.length, 2);
    const channelOf = (id: string) => opened.find((m) => m.terminalId === id)!.channel;
    assert.notEqual(channelOf('t-manager'), channelOf('t-worker-1'), 'two shells never share a channel');

    // Keystrokes and output follow their own channel.
    s.type(channelOf('t-worker-1'), 'docker ps\r');
    s.type(channelOf('t-manager'), 'hostname\r');
    assert.deepEqual(worker.typed, ['docker ps\r']);
    assert.deepEqual(manager.typed, ['hostname\r']);
    [...worker.viewers][0]!.output(Buffer.from('root@worker-1'));
    [...manager.viewers][0]!.output(Buffer.from('root@manager'));
    assert.deepEqual(s.ws.binary, [
      { channel: channelOf('t-worker-1'), text: 'root@worker-1' },
      { channel: channelOf('t-manager'), text: 'root@manager' },
    ]);
    assert.deepEqual(s.errors(), []);
    assert.deepEqual(s.books(), { attached: 2, channels: 2, opening: 0 });
  });

  it('opens with the cluster already ready still reserve their channel before the shell starts', async () => {
    const s = setup();
    s.clusterReady();
    await settle();
    s.send(s.open('a', 'manager'));
    s.send(s.open('b', 'manager'));
    s.send(s.open('c', 'worker-1'));
    await settle();
    assert.equal(s.starts.length, 3);
    for (const x of [...s.starts].reverse()) x.shell.resolve(new FakeShell());
    await settle();
    assert.deepEqual(new Set(s.opened().map((m) => m.channel)).size, 3);
  });

  it('a detach while the cluster is starting cancels the open: no shell is started or attached, and its channel is free again', async () => {
    const s = setup();
    s.send(s.open('t-manager', 'manager'));
    await settle();
    s.send({ type: 'detach', terminalId: 't-manager' });
    await settle();
    assert.deepEqual(s.books(), { attached: 0, channels: 0, opening: 0 });
    s.clusterReady();
    await settle();
    assert.equal(s.starts.length, 0, 'no shell was asked for');
    assert.deepEqual(s.ws.messages.filter((m) => m.type !== 'cluster'), [], 'no opened, and no error for the detach either');

    s.send(s.open('t-worker-1', 'worker-1'));
    await settle();
    shellFor(s, 't-worker-1').shell.resolve(new FakeShell());
    await settle();
    assert.equal(s.opened()[0]?.channel, 0, 'the cancelled open left channel 0 free');
  });

  it('a detach while the shell is starting: the shell is not attached and its channel is freed, even if the shell fails', async () => {
    const s = setup();
    s.clusterReady();
    s.send(s.open('t-manager', 'manager'));
    s.send(s.open('t-worker-1', 'worker-1'));
    await settle();
    s.send({ type: 'detach', terminalId: 't-manager' });
    await settle();

    // A third tab opens while the cancelled shell is still starting: it may take the freed channel.
    s.send(s.open('t-manager-2', 'manager'));
    await settle();
    const manager = new FakeShell();
    shellFor(s, 't-manager').shell.resolve(manager);
    shellFor(s, 't-worker-1').shell.resolve(new FakeShell());
    shellFor(s, 't-manager-2').shell.resolve(new FakeShell());
    await settle();

    assert.equal(manager.viewers.size, 0, 'the detached terminal never got a viewer');
    assert.deepEqual(
      s.opened().map((m) => [m.terminalId, m.channel]),
      [
        ['t-worker-1', 1],
        ['t-manager-2', 0],
      ],
    );
    assert.deepEqual(s.errors(), []);
    assert.deepEqual(s.books(), { attached: 2, channels: 2, opening: 0 });

    // A cancelled open whose shell then fails says nothing either.
    s.send(s.open('t-gone', 'worker-1'));
    await settle();
    s.send({ type: 'detach', terminalId: 't-gone' });
    shellFor(s, 't-gone').shell.reject(new Error('exec failed'));
    await settle();
    assert.deepEqual(s.errors(), []);
    assert.deepEqual(s.books(), { attached: 2, channels: 2, opening: 0 });
  });

  it('a newer open of the same terminal replaces a pending one: one viewer, one opened, one channel', async () => {
    for (const firstStartsFirst of [true, false]) {
      const s = setup();
      s.clusterReady();
      s.send(s.open('t-manager', 'manager'));
      await settle();
      s.send({ ...s.open('t-manager', 'manager'), cols: 100 });
      await settle();

      // In the server both opens start (or reuse) the same shell.
      const shell = new FakeShell();
      const [older, newer] = [shellFor(s, 't-manager', 0), shellFor(s, 't-manager', 1)];
      for (const x of firstStartsFirst ? [older, newer] : [newer, older]) {
        x.shell.resolve(shell);
        await settle();
      }

      assert.equal(shell.viewers.size, 1, `one viewer (older shell started ${firstStartsFirst ? 'first' : 'last'})`);
      assert.equal(s.opened().length, 1);
      assert.deepEqual(s.books(), { attached: 1, channels: 1, opening: 0 });
      s.type(s.opened()[0]!.channel, 'x');
      assert.deepEqual(shell.typed, ['x']);
    }
  });

  it('the socket closing while opens are pending attaches nothing and leaves nothing behind', async () => {
    const s = setup();
    s.send(s.open('t-manager', 'manager'));
    s.send(s.open('t-worker-1', 'worker-1'));
    await settle();
    s.clusterReady();
    await settle();
    // A third open still waits for its cluster (a reset started meanwhile).
    s.clusterPendingAgain();
    s.send(s.open('t-other', 'manager'));
    await settle();
    assert.equal(s.session.connections, 1);

    s.ws.close();
    assert.deepEqual(s.books(), { attached: 0, channels: 0, opening: 0 });
    const sentBefore = s.ws.messages.length;
    const shells = s.starts.map((x) => {
      const shell = new FakeShell();
      x.shell.resolve(shell);
      return shell;
    });
    s.clusterReady();
    await settle();

    assert.equal(s.starts.length, 2, 'the open still waiting for its cluster never asked for a shell');
    assert.deepEqual(shells.map((sh) => sh.viewers.size), [0, 0], 'no shell got a viewer');
    assert.equal(s.ws.messages.length, sentBefore, 'nothing sent on a closed socket');
    assert.deepEqual(s.books(), { attached: 0, channels: 0, opening: 0 });
    assert.equal(s.session.connections, 0);
    assert.equal(s.checksClosed(), true);
  });

  it('the socket closing with shells attached detaches them', async () => {
    const s = setup();
    s.clusterReady();
    s.send(s.open('t-manager', 'manager'));
    await settle();
    const shell = new FakeShell();
    shellFor(s, 't-manager').shell.resolve(shell);
    await settle();
    assert.equal(shell.viewers.size, 1);
    s.ws.close();
    assert.equal(shell.viewers.size, 0);
    assert.deepEqual(s.books(), { attached: 0, channels: 0, opening: 0 });
  });

  it('an open whose cluster cannot start answers not_ready and frees its channel', async () => {
    const s = setup();
    s.send(s.open('t-manager', 'manager'));
    await settle();
    s.clusterFails();
    await settle();
    assert.deepEqual(
      s.errors().map((e) => [e.code, e.terminalId]),
      [['not_ready', 't-manager']],
    );
    assert.deepEqual(s.books(), { attached: 0, channels: 0, opening: 0 });
  });
});

describe('BrowserConnection: a socket that misbehaves or goes silent', () => {
  it('a flood of bad frames is logged once per interval, with one summary of the rest', async () => {
    const s = setup({ ...DEFAULT_CONNECTION_OPTIONS, errorLogIntervalMs: 3_000 });
    const t0 = Date.now();
    for (let i = 0; i < 500; i++) s.ws.emit('message', Buffer.from('not json'), false);
    assert.ok(Date.now() - t0 < 3_000, 'the flood fits in one interval');
    assert.equal(s.errors().length, 500, 'the client is told every time');
    assert.equal(s.logged.length, 1, 'but the log gets one line');
    await waitFor(() => s.logged.length === 2, 10_000, 'the summary line');
    assert.match(s.logged[1]!, /more client errors on this socket.*"count":499/);
    s.ws.close();
  });

  it('control: with no interval every bad frame is a log line', () => {
    const s = setup({ ...DEFAULT_CONNECTION_OPTIONS, errorLogIntervalMs: 0 });
    for (let i = 0; i < 50; i++) s.ws.emit('message', Buffer.from('not json'), false);
    assert.equal(s.logged.length, 50);
    s.ws.close();
  });

  it('a socket that does not answer pings is dropped; one that answers stays', async () => {
    const silent = setup({ ...DEFAULT_CONNECTION_OPTIONS, pingIntervalMs: 20 });
    const answering = setup({ ...DEFAULT_CONNECTION_OPTIONS, pingIntervalMs: 20 });
    const pong = setInterval(() => answering.ws.emit('pong'), 5);
    await new Promise((r) => setTimeout(r, 150));
    clearInterval(pong);
    assert.ok(silent.ws.terminated, 'the silent socket is dropped');
    assert.equal(silent.session.connections, 0, 'and no longer keeps its session alive');
    assert.ok(!answering.ws.terminated && answering.ws.pings >= 3, 'the answering one stays');
    answering.ws.close();
  });

  it('a client that lets its socket queue pile up past the cap is disconnected', async () => {
    const s = setup({ ...DEFAULT_CONNECTION_OPTIONS, maxQueuedBytes: 1000 });
    s.ws.bufferedAmount = 5000;
    s.send({ type: 'ping', id: 1 });
    assert.ok(s.ws.terminated);
  });
});

/**
 * The exec stream of a shell as Docker feeds it: takes each write after `delayMs`, or nothing at all
 * while `reading` is false (`stty raw -echo; sleep infinity`: the pty is full, Docker stops reading).
 */
class InputShell extends Duplex {
  readonly received: Buffer[] = [];
  maxQueued = 0;
  constructor(
    private readonly delayMs: number,
    private readonly reading = true,
  ) {
    super();
  }
  override _read(): void {}
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.maxQueued = Math.max(this.maxQueued, this.writableLength);
    if (!this.reading) return; // never calls back: everything after this waits in the stream
    setTimeout(() => {
      this.received.push(chunk);
      cb();
    }, this.delayMs);
  }
}

/** A real TerminalSession on `shell`, opened through the connection on the channel it returns. */
async function inputTerminal(s: ReturnType<typeof setup>, shell: InputShell): Promise<{ term: TerminalSession; channel: number }> {
  const exec = { start: async () => shell, resize: async () => undefined, inspect: async () => ({ ExitCode: 0 }) };
  const container = { exec: async () => exec } as unknown as Docker.Container;
  const term = await TerminalSession.start({ container, id: 't', node: 'manager', cols: 80, rows: 24, scrollbackBytes: 64 * 1024 });
  s.send(s.open('t', 'manager'));
  s.clusterReady();
  await settle();
  shellFor(s, 't').shell.resolve(term as unknown as FakeShell);
  await settle();
  return { term, channel: s.opened()[0]!.channel };
}

/**
 * A client streaming `data` (or endless zeros) in 64 KiB frames as fast as the server reads its
 * socket: frames of a paused socket wait in the client (as in TCP), unless `ignorePause` (frames
 * that keep coming anyway: the control). Returns the bytes sent so far.
 */
function stream(s: ReturnType<typeof setup>, channel: number, data: Buffer | null, ignorePause = false): () => number {
  let sent = 0;
  const limit = data?.length ?? 64 * 1024 * 1024; // endless, but a missing bound must not hang the test
  const push = () => {
    while (sent < limit && s.ws.readyState === s.ws.OPEN && (ignorePause || !s.ws.paused)) {
      const n = Math.min(64 * 1024, limit - sent);
      const payload = data ? data.subarray(sent, sent + n) : Buffer.alloc(n);
      s.ws.emit('message', Buffer.from(encodeBinary(channel, payload)), true);
      sent += n;
    }
  };
  s.ws.on('resumed', () => setImmediate(push));
  push();
  return () => sent;
}

describe('BrowserConnection: terminal input flow control', () => {
  it('a paste far past the bound into a shell slower than the client: held and resumed, every byte arrives in order', async () => {
    const s = setup();
    const shell = new InputShell(1);
    const { term, channel } = await inputTerminal(s, shell);
    const paste = crypto.randomBytes(3 * 1024 * 1024);
    const sent = stream(s, channel, paste);
    await waitFor(() => Buffer.concat(shell.received).length === paste.length, 20_000, 'the whole paste in the shell');
    assert.ok(Buffer.concat(shell.received).equals(paste), 'nothing lost, nothing reordered');
    assert.equal(sent(), paste.length);
    assert.ok(s.ws.pauses > 0, 'the socket was held while the shell caught up');
    assert.ok(shell.maxQueued <= INPUT_PAUSE_BYTES + 64 * 1024, `queued at most ${shell.maxQueued} bytes`);
    assert.equal(s.ws.closeCode, undefined);
    assert.equal(s.ws.paused, false, 'reading again');
    assert.equal(term.inputBytes, paste.length);
    s.ws.close();
  });

  it('a slow but steady reader is never cut off, however long the paste takes', async () => {
    const s = setup({ ...DEFAULT_CONNECTION_OPTIONS, inputStallMs: 200 });
    const shell = new InputShell(40); // one 64 KiB frame per 40 ms: 1 MiB takes ~0.7 s, past the deadline
    const { channel } = await inputTerminal(s, shell);
    const paste = crypto.randomBytes(1024 * 1024);
    stream(s, channel, paste);
    await waitFor(() => Buffer.concat(shell.received).length === paste.length, 20_000, 'the whole paste in the shell');
    assert.equal(s.ws.closeCode, undefined);
    s.ws.close();
  });

  it('a shell that reads nothing: the client waits in its own buffers, then the socket is closed in words (heartbeats do not cut it first)', async () => {
    const s = setup({ ...DEFAULT_CONNECTION_OPTIONS, pingIntervalMs: 50, inputStallMs: 400 });
    const shell = new InputShell(0, false);
    const { term, channel } = await inputTerminal(s, shell);
    const sent = stream(s, channel, null);
    await waitFor(() => s.ws.readyState === 3, 10_000, 'the socket closed');
    assert.equal(s.ws.closeCode, closeCodes.inputStalled, 'closed for its input, not dropped by a missed pong');
    assert.match(s.ws.closeReason, /your shell read none of your input for 0 s/);
    assert.ok(Buffer.byteLength(s.ws.closeReason) <= 123, 'fits a close frame');
    assert.ok(term.inputBytes <= INPUT_PAUSE_BYTES + 64 * 1024, `the server took ${term.inputBytes} bytes`);
    assert.ok(sent() <= INPUT_PAUSE_BYTES + 64 * 1024, `the client could send ${sent()} bytes`);
  });

  it('control: frames that keep coming although the socket is held grow the queue until the backstop closes it', async () => {
    const s = setup();
    const shell = new InputShell(0, false);
    const { term, channel } = await inputTerminal(s, shell);
    const sent = stream(s, channel, null, true);
    assert.equal(s.ws.closeCode, closeCodes.inputStalled);
    assert.match(s.ws.closeReason, /more than 4 MiB of input waited for your shell/);
    assert.ok(term.inputDropped > INPUT_MAX_QUEUED - INPUT_PAUSE_BYTES, `without the hold the queue grew to ${term.inputDropped} bytes (dropped on close)`);
    assert.ok(sent() <= INPUT_MAX_QUEUED + 64 * 1024, `and stopped there (${sent()} bytes sent)`);
  });

  it('closed for its input: what the socket queued is dropped, so the next socket\'s Ctrl-C goes straight to the shell; another socket\'s queued input stays', async () => {
    const s = setup({ ...DEFAULT_CONNECTION_OPTIONS, inputStallMs: 200 });
    const shell = new InputShell(0, false);
    const { term, channel } = await inputTerminal(s, shell);
    stream(s, channel, null);
    await waitFor(() => s.ws.paused, 10_000, 'the socket held');
    const other = {};
    term.write(Buffer.from('from-another-tab'), other); // another tab types meanwhile: queued behind the flood
    await waitFor(() => s.ws.readyState === 3, 10_000, 'the socket closed');
    assert.equal(s.ws.closeCode, closeCodes.inputStalled);
    const below = term.inputBytes - term.inputDropped - term.inputQueued;
    assert.ok(term.inputDropped >= INPUT_PAUSE_BYTES - 64 * 1024, `the socket's queued input was dropped (${term.inputDropped} bytes)`);
    // What is left: the stream's own buffer (its first slices, already handed on) and the other tab's bytes.
    assert.ok(term.inputQueued <= 64 * 1024, `${term.inputQueued} bytes still queued`);
    assert.ok(below >= 0);
    // The browser reconnects and sends Ctrl-C: nothing of the old socket is ahead of it here.
    const next = {};
    assert.equal(term.write(Buffer.from('\x03'), next), true, 'not held: no second close coming');
    const pending = (term as unknown as { pending: { from: object; data: Buffer }[] }).pending;
    assert.deepEqual(
      pending.map((p) => [p.from === other ? 'other' : p.from === next ? 'next' : 'old', p.data.toString('latin1')]),
      [['other', 'from-another-tab'], ['next', '\x03']],
    );
  });

  it('control: without the drop, the reconnected Ctrl-C waits behind the old socket\'s queue and is held again', async () => {
    const s = setup({ ...DEFAULT_CONNECTION_OPTIONS, inputStallMs: 200 });
    const shell = new InputShell(0, false);
    const { term, channel } = await inputTerminal(s, shell);
    term.dropInput = () => 0; // the old behaviour
    stream(s, channel, null);
    await waitFor(() => s.ws.readyState === 3, 10_000, 'the socket closed');
    assert.ok(term.inputQueued > INPUT_PAUSE_BYTES, `${term.inputQueued} bytes stay queued`);
    assert.equal(term.write(Buffer.from('\x03'), {}), false, 'the Ctrl-C is queued behind them: its socket is held (and closed again 30 s later)');
  });
});

describe('sockets per session', () => {
  it('past the cap a new socket is refused with its own code and words; below it, accepted', () => {
    const session = { connections: MAX_SOCKETS_PER_SESSION - 1 };
    checkSocketCap(session as unknown as LearnerSession);
    session.connections = MAX_SOCKETS_PER_SESSION;
    assert.throws(
      () => checkSocketCap(session as unknown as LearnerSession),
      (err) => err instanceof SocketRefusal && err.code === closeCodes.tooManySockets && /pages are open already: close some tabs/.test(err.reason),
    );
  });
});
