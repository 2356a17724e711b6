/**
 * One shell on one node: a `docker exec` with a TTY whose output is kept in a
 * scrollback and fanned out to any number of viewers (browser tabs, a reload,
 * later an instructor). The shell outlives its viewers, so a reload reattaches.
 */
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { LAB_DIR } from '@contract/protocol.ts';
import { Scrollback } from './scrollback.ts';

/** Stop reading the shell when the slowest viewer is this far behind... */
export const HIGH_WATERMARK = 1024 * 1024;
/** ...and resume once it has caught up to here. */
export const LOW_WATERMARK = 256 * 1024;
/** While paused for a viewer's socket (which signals no drain), look at it again this often. */
const BACKLOG_POLL_MS = 50;
/**
 * Input the shell has not taken yet (queued in this server for the exec stream) above which its
 * writers must stop sending until it drains. A shell that reads nothing (`stty raw -echo; sleep
 * infinity`) stops Docker reading too: without this bound every byte a client sends piles up here.
 */
export const INPUT_PAUSE_BYTES = 256 * 1024;
/**
 * Input is handed to the exec stream in slices of this size, and only while the stream takes them
 * without buffering: the rest waits here, per writer, where dropInput can still take it back.
 */
const INPUT_SLICE_BYTES = 16 * 1024;

export interface TerminalViewer {
  /** Output bytes starting at absolute stream offset `from`. */
  output(data: Buffer): void;
  exited(code: number | null): void;
  /**
   * Bytes sent to this viewer that still wait in this server (a WebSocket's bufferedAmount). The
   * server's own count: unlike acknowledgements, a client cannot lie about it.
   */
  backlog?(): number;
}

interface ViewerState {
  /** What the viewer acknowledged, never past `sent`. */
  acked: number;
  /** Offset one past the last byte handed to this viewer. */
  sent: number;
}

export class TerminalSession {
  readonly scrollback: Scrollback;
  private readonly viewers = new Map<TerminalViewer, ViewerState>();
  private paused = false;
  private poll: ReturnType<typeof setInterval> | null = null;
  private exitedCode: number | null | undefined = undefined;
  /** Output, input, or a viewer leaving (idle terminals with no viewer are closed after a while). */
  lastActivity = Date.now();
  /** Whether anyone ever attached (a warm shell waiting for its learner is not idle). */
  everWatched = false;
  /** Called once when the shell ends or is closed. */
  onGone: (() => void) | undefined;
  /** Resolves once the shell printed something (its prompt) or ended: a warm shell is one past this. */
  readonly printed: Promise<void>;
  private markPrinted: () => void = () => undefined;
  /** Bytes of input accepted for the shell so far, dropped ones included (tests prove the input bound with it). */
  inputBytes = 0;
  /** Bytes of input dropped before the shell's stream took them (dropInput). */
  inputDropped = 0;
  /** Input not handed to the stream yet, oldest first, each with the writer that sent it. */
  private readonly pending: { from: object | undefined; data: Buffer }[] = [];
  private pendingBytes = 0;
  /** Writers waiting for the input queue to drain (see whenInputDrained). */
  private readonly drainWaiters = new Set<() => void>();

  private constructor(
    readonly id: string,
    readonly node: string,
    private readonly exec: Docker.Exec,
    private readonly stream: Duplex,
    scrollbackBytes: number,
  ) {
    this.scrollback = new Scrollback(scrollbackBytes);
    this.printed = new Promise((resolve) => (this.markPrinted = resolve));
    stream.on('data', (chunk: Buffer) => this.onOutput(chunk));
    // Read until the prompt is in the scrollback, then nothing more until someone watches (the
    // output waits in the shell's pty).
    this.updateFlow();
    stream.on('end', () => void this.onEnd());
    stream.on('error', () => void this.onEnd());
    stream.on('drain', () => this.pumpInput());
  }

  static async start(opts: {
    container: Docker.Container;
    id: string;
    node: string;
    cols: number;
    rows: number;
    scrollbackBytes: number;
  }): Promise<TerminalSession> {
    const exec = await opts.container.exec({
      Cmd: ['/bin/bash', '-l'],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: true,
      WorkingDir: LAB_DIR,
      Env: ['TERM=xterm-256color', `COLUMNS=${opts.cols}`, `LINES=${opts.rows}`],
    });
    const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as unknown as Duplex;
    const session = new TerminalSession(opts.id, opts.node, exec, stream, opts.scrollbackBytes);
    session.resize(opts.cols, opts.rows);
    return session;
  }

  get exited(): boolean {
    return this.exitedCode !== undefined;
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  /** Whether the shell's output is not being read right now (backpressure or nobody watching). */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Attach a viewer; returns the replay (from the offset it already has). */
  attach(viewer: TerminalViewer, offset: number | undefined): { from: number; data: Buffer } {
    const replay = this.scrollback.since(offset ?? 0);
    this.viewers.set(viewer, { acked: replay.from, sent: this.scrollback.end });
    this.everWatched = true;
    this.updateFlow();
    return replay;
  }

  detach(viewer: TerminalViewer): void {
    if (!this.viewers.delete(viewer)) return;
    this.lastActivity = Date.now();
    this.updateFlow();
  }

  /** An acknowledgement beyond the bytes this viewer was sent is not believed: it counts as `sent`. */
  ack(viewer: TerminalViewer, offset: number): void {
    const state = this.viewers.get(viewer);
    if (!state) return;
    state.acked = Math.min(Math.max(state.acked, offset), state.sent);
    this.updateFlow();
  }

  /**
   * Input for the shell from `from` (a socket). Returns false once its queue passed INPUT_PAUSE_BYTES:
   * the writer must stop reading its source until whenInputDrained calls back.
   */
  write(data: Buffer, from?: object): boolean {
    if (this.exited) return true;
    this.lastActivity = Date.now();
    this.inputBytes += data.length;
    this.pending.push({ from, data });
    this.pendingBytes += data.length;
    this.pumpInput();
    return this.inputQueued <= INPUT_PAUSE_BYTES;
  }

  /** Input waiting in this server for the shell's stream (Docker, then the shell, reads it). */
  get inputQueued(): number {
    return this.pendingBytes + this.stream.writableLength;
  }

  /**
   * Forget the input `from` sent that still waits here (a socket closed for input its shell did not
   * take): what comes next from anyone, e.g. a Ctrl-C after reconnecting, is not queued behind it.
   * What the stream already took (at most a slice past its buffer) goes on. Returns the bytes dropped.
   */
  dropInput(from: object): number {
    let dropped = 0;
    for (let i = this.pending.length - 1; i >= 0; i--) {
      if (this.pending[i]!.from !== from) continue;
      dropped += this.pending[i]!.data.length;
      this.pending.splice(i, 1);
    }
    this.pendingBytes -= dropped;
    this.inputDropped += dropped;
    this.pumpInput();
    return dropped;
  }

  /** Hand pending input to the stream while it takes it without buffering; tell writers once all is handed on. */
  private pumpInput(): void {
    if (this.stream.destroyed || this.stream.writableEnded) {
      this.pending.length = 0;
      this.pendingBytes = 0;
    }
    while (this.pending.length && !this.stream.writableNeedDrain) {
      const head = this.pending[0]!;
      const slice = head.data.subarray(0, INPUT_SLICE_BYTES);
      if (slice.length === head.data.length) this.pending.shift();
      else head.data = head.data.subarray(slice.length);
      this.pendingBytes -= slice.length;
      this.stream.write(slice);
    }
    if (!this.pending.length && !this.stream.writableNeedDrain) this.inputDrained();
  }

  /**
   * Calls `done` (never synchronously) once the input queue is handed on (nothing waits here but what
   * the stream holds below its own bound), or the shell is gone. Returns a function that cancels the
   * wait (a writer that went away).
   */
  whenInputDrained(done: () => void): () => void {
    const waiter = () => done();
    this.drainWaiters.add(waiter);
    if (this.exited || (!this.pending.length && !this.stream.writableNeedDrain)) queueMicrotask(() => this.inputDrained());
    return () => void this.drainWaiters.delete(waiter);
  }

  private inputDrained(): void {
    const waiters = [...this.drainWaiters];
    this.drainWaiters.clear();
    for (const w of waiters) w();
  }

  resize(cols: number, rows: number): void {
    // The exec may not be running yet for a few ms after start; a failed resize is harmless.
    this.exec.resize({ w: cols, h: rows }).catch(() => undefined);
  }

  close(): void {
    this.stopPolling();
    this.stream.destroy();
    this.pumpInput(); // drops what waited: nobody will read it
    this.inputDrained();
    this.gone();
  }

  private gone(): void {
    const hook = this.onGone;
    this.onGone = undefined;
    hook?.();
  }

  private onOutput(chunk: Buffer): void {
    this.markPrinted();
    this.lastActivity = Date.now();
    this.scrollback.append(chunk);
    for (const [viewer, state] of this.viewers) {
      state.sent += chunk.length;
      viewer.output(chunk);
    }
    this.updateFlow();
  }

  private async onEnd(): Promise<void> {
    if (this.exited) return;
    let code: number | null = null;
    try {
      code = (await this.exec.inspect()).ExitCode ?? null;
    } catch {
      // The node itself is gone: no exit code to report.
    }
    this.exitedCode = code;
    this.markPrinted();
    this.stopPolling();
    this.pending.length = 0;
    this.pendingBytes = 0;
    this.inputDrained(); // nobody reads this shell's input any more: its writers need not wait
    for (const viewer of this.viewers.keys()) viewer.exited(code);
    this.viewers.clear();
    this.gone();
  }

  /**
   * Backpressure: the shell is read only while every viewer keeps up, by its acknowledgements and
   * by what still waits in this server for its socket; a shell nobody watches is not read at all.
   * (The scrollback stays bounded either way: it only ever keeps its capacity.)
   */
  private updateFlow(): void {
    if (this.exited) return;
    let behind = 0;
    for (const [viewer, state] of this.viewers) behind = Math.max(behind, state.sent - state.acked, viewer.backlog?.() ?? 0);
    const watched = this.viewers.size > 0 || this.scrollback.end === 0;
    if (!this.paused && (!watched || behind > HIGH_WATERMARK)) {
      this.paused = true;
      this.stream.pause();
    } else if (this.paused && watched && behind < LOW_WATERMARK) {
      this.paused = false;
      this.stream.resume();
    }
    // A socket's queue drains without telling us: while paused for it, look again shortly.
    if (this.paused && watched) {
      if (!this.poll) {
        this.poll = setInterval(() => this.updateFlow(), BACKLOG_POLL_MS);
        this.poll.unref?.();
      }
    } else this.stopPolling();
  }

  private stopPolling(): void {
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
  }
}
