/**
 * One terminal view attached to one shell on a node: open/reattach, output
 * with byte bookkeeping and acks, input queued until the shell is attached.
 * Driven by SandboxClient (connection and cluster events) and by the view
 * (input, resize, close) through the TerminalHandle interface.
 */
import type { ClientMessage, ErrorCode, NodeName } from '@contract/protocol.ts';
import { reconnectDelay } from './backoff.ts';
import { encodeInputFrames, textToBytes } from './frames.ts';
import { StreamOffsets } from './offsets.ts';
import type { TerminalHandle, TerminalSink, TerminalState } from './types.ts';

export interface TerminalTransport {
  /** Send a control message; false when there is no connection. */
  sendControl(message: ClientMessage): boolean;
  sendBinary(frame: Uint8Array): boolean;
  /** Connected, cluster ready and the node exists. */
  canOpen(node: NodeName): boolean;
  release(session: TerminalSession): void;
}

/** Input typed while the shell is not attached is kept, up to this much. */
const MAX_PENDING_INPUT = 64 * 1024;
/** Ack the last rendered bytes when output has been quiet this long. */
const ACK_FLUSH_MS = 250;

export class TerminalSession implements TerminalHandle {
  private state: TerminalState = 'waiting';
  channel: number | null = null;
  private readonly offsets = new StreamOffsets();
  /** Bumped when the view is cleared, so late render callbacks of old output are ignored. */
  private generation = 0;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private openedSize: { cols: number; rows: number } | null = null;
  /** The shell is gone (exit, cluster reset): the next open starts a clean view. */
  private freshNext = false;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  /** A retry of an open the server answered `not_ready`, and how many in a row there were. */
  private notReadyTimer: ReturnType<typeof setTimeout> | null = null;
  private notReadyAttempts = 0;
  private readonly listeners = new Set<(s: TerminalState) => void>();

  constructor(
    readonly terminalId: string,
    readonly node: NodeName,
    private size: { cols: number; rows: number },
    private readonly sink: TerminalSink,
    private readonly transport: TerminalTransport,
  ) {}

  // ------------------------------------------------------------ TerminalHandle

  getState(): TerminalState {
    return this.state;
  }

  onStateChange(listener: (state: TerminalState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  input(data: string | Uint8Array): void {
    if (this.state === 'closed') return;
    const bytes = typeof data === 'string' ? textToBytes(data) : data;
    if (bytes.length === 0) return;
    if (this.state === 'exited' || this.state === 'failed') {
      // Enter starts a new shell; other keys are not meant for a dead one.
      if (bytes.includes(13)) {
        this.freshNext = true;
        this.setState('waiting');
        this.tryOpen();
      }
      return;
    }
    if (this.state === 'open' && this.channel !== null) {
      for (const frame of encodeInputFrames(this.channel, bytes)) this.transport.sendBinary(frame);
      return;
    }
    if (this.pendingBytes + bytes.length <= MAX_PENDING_INPUT) {
      this.pending.push(bytes);
      this.pendingBytes += bytes.length;
    }
  }

  resize(cols: number, rows: number): void {
    const c = Math.max(2, Math.min(1000, Math.floor(cols)));
    const r = Math.max(2, Math.min(1000, Math.floor(rows)));
    if (c === this.size.cols && r === this.size.rows) return;
    this.size = { cols: c, rows: r };
    if (this.state === 'open') this.sendResize();
  }

  close(): void {
    if (this.state === 'closed') return;
    if (this.state === 'open' || this.state === 'opening') this.transport.sendControl({ type: 'detach', terminalId: this.terminalId });
    this.clearFlush();
    this.clearNotReadyRetry();
    this.channel = null;
    this.setState('closed');
    this.transport.release(this);
    this.listeners.clear();
  }

  // ------------------------------------------------------------ driven by the client

  /** Open (or reattach) if we are waiting and the cluster allows it. */
  tryOpen(): void {
    if (this.state !== 'waiting' || !this.transport.canOpen(this.node)) return;
    if (this.freshNext) {
      this.freshNext = false;
      this.offsets.reset();
      this.generation++;
      this.sink.clear();
    }
    const offset = this.offsets.openOffset();
    const sent = this.transport.sendControl({
      type: 'open',
      terminalId: this.terminalId,
      node: this.node,
      cols: this.size.cols,
      rows: this.size.rows,
      ...(offset === undefined ? {} : { offset }),
    });
    if (!sent) return;
    this.clearNotReadyRetry();
    this.openedSize = { ...this.size };
    this.setState('opening');
  }

  onOpened(channel: number, serverOffset: number): void {
    if (this.state !== 'opening') return;
    this.notReadyAttempts = 0;
    const outcome = this.offsets.onOpened(serverOffset);
    if (outcome.kind === 'restart') {
      this.generation++;
      this.sink.clear();
    } else if (outcome.kind === 'gap') {
      this.sink.notice(`[${outcome.lost} bytes of older output were no longer kept by the server]`);
    }
    this.channel = channel;
    this.setState('open');
    if (this.openedSize && (this.openedSize.cols !== this.size.cols || this.openedSize.rows !== this.size.rows)) this.sendResize();
    const queued = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    for (const bytes of queued) this.input(bytes);
  }

  onOutput(payload: Uint8Array): void {
    if (this.state !== 'open') return;
    const end = this.offsets.onOutput(payload.length);
    const generation = this.generation;
    this.sink.write(payload, () => {
      if (generation !== this.generation || this.state === 'closed') return;
      const ack = this.offsets.onRendered(end);
      if (ack !== null) this.sendAck(ack);
      else this.scheduleFlush();
    });
  }

  onExited(code: number | null): void {
    if (this.state === 'closed') return;
    this.channel = null;
    this.clearFlush();
    this.sink.notice(`[the shell exited${code === null ? '' : ` with code ${code}`}; press Enter for a new one]`);
    this.setState('exited');
  }

  onError(code: ErrorCode, message: string): void {
    if (this.state === 'closed') return;
    this.channel = null;
    if (code === 'not_ready') {
      // The cluster is not ready after all. The server sends `not_ready` only when claiming a cluster failed,
      // and usually a `cluster` message (failed, expired) came first, so the next `ready` one reopens. But a
      // claim from the warm pool announces `ready` before it records the session, and if that write throws no
      // other `cluster` message follows: so also retry after a backoff (a no-op unless the cluster looks ready).
      this.setState('waiting');
      this.scheduleNotReadyRetry();
      return;
    }
    this.sink.notice(`[${message}; press Enter to try again]`);
    this.setState('failed');
  }

  /** The WebSocket closed: reattach later from where we are. */
  onDisconnected(): void {
    this.channel = null;
    this.clearFlush();
    if (this.state === 'open' || this.state === 'opening') this.setState('waiting');
  }

  /** The cluster left `ready` (reset, failure, expiry): its shells are gone. `why`: the server's words, if any. */
  onClusterGone(status: string, why?: string): void {
    if (this.state === 'closed' || this.state === 'waiting') {
      if (this.state === 'waiting' && this.offsets.openOffset() !== undefined) this.freshNext = true;
      return;
    }
    this.channel = null;
    this.clearFlush();
    this.freshNext = true;
    this.sink.notice(`[cluster ${status}${why ? ` (${why})` : ''}: this shell is gone; a new one opens when the cluster is ready]`);
    this.setState('waiting');
  }

  // ------------------------------------------------------------ internals

  private setState(state: TerminalState): void {
    if (state === this.state) return;
    this.state = state;
    for (const l of this.listeners) l(state);
  }

  private sendResize(): void {
    this.transport.sendControl({ type: 'resize', terminalId: this.terminalId, cols: this.size.cols, rows: this.size.rows });
  }

  private sendAck(offset: number): void {
    this.clearFlush();
    this.transport.sendControl({ type: 'ack', terminalId: this.terminalId, offset });
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== null) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      if (this.state !== 'open') return;
      const ack = this.offsets.flushAck();
      if (ack !== null) this.sendAck(ack);
    }, ACK_FLUSH_MS);
  }

  private scheduleNotReadyRetry(): void {
    this.clearNotReadyRetry();
    const delay = reconnectDelay(this.notReadyAttempts++);
    this.notReadyTimer = setTimeout(() => {
      this.notReadyTimer = null;
      this.tryOpen();
    }, delay);
  }

  private clearNotReadyRetry(): void {
    if (this.notReadyTimer !== null) clearTimeout(this.notReadyTimer);
    this.notReadyTimer = null;
  }

  private clearFlush(): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }
}
