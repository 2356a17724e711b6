/**
 * One browser WebSocket: validates every frame, multiplexes the learner's
 * shells over one-byte channels, and never lets a bad frame hurt anyone else.
 */
import type { RawData, WebSocket } from 'ws';
import {
  MAX_CONTROL_FRAME_BYTES,
  MAX_INPUT_FRAME_BYTES,
  clientMessage,
  closeCodes,
  decodeBinary,
  encodeBinary,
  type ClientMessage,
  type ErrorCode,
  type ServerMessage,
} from '@contract/protocol.ts';
import type { LiveCluster } from '../clusters/live.ts';
import type { CheckClient, CheckService } from '../checks/checker.ts';
import type { LearnerSession, SessionManager } from '../sessions/manager.ts';
import { TooManyTerminals } from '../terminals/registry.ts';
import type { TerminalSession, TerminalViewer } from '../terminals/terminal.ts';
import type { Logger } from '../log.ts';
import { errorMessage } from '../log.ts';
import { SocketRefusal } from '../http/errors.ts';

interface Attached {
  terminalId: string;
  channel: number;
  term: TerminalSession;
  viewer: TerminalViewer;
}

/** An `open` still waiting for its cluster or shell: its channel is already taken. */
interface Opening {
  channel: number;
  cancelled: boolean;
}

export interface ConnectionOptions {
  /** Ping the browser this often; a socket that missed the previous pong is dropped (0 = off). */
  pingIntervalMs: number;
  /** A client that lets this much pile up unread in its socket is disconnected (it is not reading). */
  maxQueuedBytes: number;
  /** At most one log line per socket per this interval for bad frames (a summary of the rest). */
  errorLogIntervalMs: number;
  /** A socket held for a shell that took none of its queued input for this long is closed (default INPUT_STALL_MS). */
  inputStallMs?: number;
}

export const DEFAULT_CONNECTION_OPTIONS: ConnectionOptions = { pingIntervalMs: 30_000, maxQueuedBytes: 8 * 1024 * 1024, errorLogIntervalMs: 10_000 };

/**
 * Input flow control. A shell's input queue past INPUT_PAUSE_BYTES (terminal.ts) stops this socket
 * being read until the queue drains: a paste of any size goes through whole, at the shell's pace,
 * and a client that sends faster waits in its own buffers, not in ours. A shell that takes nothing
 * of its queue for INPUT_STALL_MS (`stty raw -echo; sleep infinity`) gets its socket closed with
 * closeCodes.inputStalled: the page says why instead of hanging. INPUT_MAX_QUEUED is the backstop
 * should frames keep coming anyway (ws hands over what it had already read when paused).
 */
export const INPUT_STALL_MS = 30_000;
export const INPUT_MAX_QUEUED = 4 * 1024 * 1024;
/** How often a held socket looks whether its shells took any input (stall deadline). */
const INPUT_STALL_POLL_MS = 1_000;
/** A socket closed for its input gets this long for the close handshake before it is cut. */
const INPUT_CLOSE_GRACE_MS = 5_000;

/**
 * Sockets one session may hold at once (tabs, pages, reconnects): each costs a cluster-picture
 * subscription, check watchers and heartbeats. Far above what a learner's tabs need.
 */
export const MAX_SOCKETS_PER_SESSION = 16;

/** A socket past the session's cap is refused: the router closes it with this code and words. */
export function checkSocketCap(session: LearnerSession): void {
  if (session.connections < MAX_SOCKETS_PER_SESSION) return;
  throw new SocketRefusal(closeCodes.tooManySockets, `${MAX_SOCKETS_PER_SESSION} workbench pages are open already: close some tabs`);
}

export class BrowserConnection {
  private readonly byId = new Map<string, Attached>();
  private readonly byChannel = new Map<number, Attached>();
  private readonly opening = new Map<string, Opening>();
  private readonly unsubscribe: () => void;
  /** The cluster whose picture this socket receives, and how to stop receiving it. */
  private watched: { cluster: LiveCluster; stop: () => void } | null = null;
  private readonly checks: CheckClient;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private alive = true;
  private closed = false;
  /** Client errors not logged yet (one summary line per interval, however fast they come). */
  private quietErrors = 0;
  private lastErrorLog = 0;
  private summary: ReturnType<typeof setTimeout> | null = null;
  /** Shells whose input queue is over the bound, and how to stop waiting for each to drain. */
  private readonly inputHeld = new Map<TerminalSession, () => void>();
  private stallTimer: ReturnType<typeof setInterval> | null = null;
  /** Closed for its input: later frames (already read) are dropped. */
  private inputRefused = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly session: LearnerSession,
    private readonly sessions: SessionManager,
    checks: CheckService,
    private readonly log: Logger,
    private readonly opts: ConnectionOptions = DEFAULT_CONNECTION_OPTIONS,
  ) {
    session.connections++;
    this.checks = checks.connect(session, (msg) => this.send(msg));
    this.send({ type: 'cluster', cluster: session.info });
    this.watchClusterState();
    this.unsubscribe = session.onChange((cluster) => {
      this.send({ type: 'cluster', cluster });
      this.watchClusterState();
      if (cluster.status === 'expired') ws.close(closeCodes.sessionExpired, 'session expired');
    });
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('close', () => this.onClose());
    ws.on('error', () => undefined);
    ws.on('pong', () => (this.alive = true));
    if (opts.pingIntervalMs > 0) {
      // A half-open socket (a laptop closed, a network gone) never closes by itself: it would keep
      // the session "connected" and never reaped.
      this.heartbeat = setInterval(() => {
        // A socket held for input is not read, so its pongs wait too: the stall deadline bounds it instead.
        if (this.inputHeld.size) return;
        if (!this.alive) {
          this.log.info('socket missed a heartbeat: dropped');
          return ws.terminate();
        }
        this.alive = false;
        try {
          ws.ping();
        } catch {
          ws.terminate();
        }
      }, opts.pingIntervalMs);
      this.heartbeat.unref?.();
    }
    void sessions.ensureCluster(session).catch(() => undefined); // failure is reported through session.info
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) return this.onInput(bytes);
    if (bytes.length > MAX_CONTROL_FRAME_BYTES) return this.fail('frame_too_large', `control frames are limited to ${MAX_CONTROL_FRAME_BYTES} bytes`);
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch {
      return this.fail('bad_frame', 'control frame is not valid JSON');
    }
    const parsed = clientMessage.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return this.fail('bad_frame', `invalid message: ${issue ? `${issue.path.join('.') || 'type'}: ${issue.message}` : 'unknown'}`);
    }
    void this.onMessage(parsed.data).catch((err) => this.fail('internal', errorMessage(err)));
  }

  private onInput(bytes: Buffer): void {
    const frame = decodeBinary(bytes);
    if (!frame) return this.fail('bad_frame', 'empty binary frame');
    const attached = this.byChannel.get(frame.channel);
    if (!attached) return this.fail('unknown_terminal', `no terminal is open on channel ${frame.channel}`);
    if (frame.payload.length > MAX_INPUT_FRAME_BYTES) {
      return this.fail('frame_too_large', `input frames are limited to ${MAX_INPUT_FRAME_BYTES} bytes: split large pastes`, attached.terminalId);
    }
    if (this.inputRefused) return;
    const term = attached.term;
    if (term.write(Buffer.from(frame.payload), this)) return;
    if (term.inputQueued > INPUT_MAX_QUEUED) {
      return this.closeForInput(`more than ${INPUT_MAX_QUEUED >> 20} MiB of input waited for your shell: connection closed`);
    }
    this.holdInput(term);
  }

  /** Stop reading this socket until `term` took its queued input (see INPUT_STALL_MS). */
  private holdInput(term: TerminalSession): void {
    if (this.inputHeld.has(term)) return;
    this.inputHeld.set(
      term,
      term.whenInputDrained(() => {
        this.inputHeld.delete(term);
        if (this.inputHeld.size || this.closed || this.inputRefused) return;
        this.stopStallTimer();
        this.alive = true; // pongs that waited while the socket was held are read now
        this.ws.resume();
      }),
    );
    if (this.inputHeld.size > 1) return;
    this.ws.pause();
    // Progress (the queue shrank) restarts the deadline: a slow reader is not a stalled one.
    const stallMs = this.opts.inputStallMs ?? INPUT_STALL_MS;
    let queued = term.inputQueued;
    let progress = Date.now();
    this.stallTimer = setInterval(() => {
      let now = 0;
      for (const t of this.inputHeld.keys()) now += t.inputQueued;
      if (now < queued) progress = Date.now();
      queued = now;
      if (Date.now() - progress < stallMs) return;
      this.closeForInput(`your shell read none of your input for ${Math.round(stallMs / 1000)} s (is a program ignoring it?): connection closed`);
    }, Math.min(INPUT_STALL_POLL_MS, stallMs / 4));
    this.stallTimer.unref?.();
  }

  /**
   * The client will not stop: say why in the close reason (the page shows it). The input this socket
   * queued for its shells is dropped (what a shell already took is not), so after the browser
   * reconnects its keys, Ctrl-C first, are not stuck behind it (nor bring a second close). Reading
   * resumes so an honest browser's close handshake completes; what it had sent meanwhile is dropped.
   */
  private closeForInput(reason: string): void {
    if (this.inputRefused) return;
    this.inputRefused = true;
    this.stopStallTimer();
    const terms = new Set([...this.inputHeld.keys(), ...[...this.byChannel.values()].map((a) => a.term)]);
    for (const cancel of this.inputHeld.values()) cancel();
    this.inputHeld.clear();
    let dropped = 0;
    for (const term of terms) dropped += term.dropInput(this);
    this.log.warn('client input not taken by its shell: socket closed, its queued input dropped', { reason, dropped });
    this.ws.close(closeCodes.inputStalled, reason);
    this.ws.resume();
    setTimeout(() => this.ws.terminate(), INPUT_CLOSE_GRACE_MS).unref?.();
  }

  private stopStallTimer(): void {
    if (this.stallTimer) clearInterval(this.stallTimer);
    this.stallTimer = null;
  }

  private async onMessage(msg: ClientMessage): Promise<void> {
    switch (msg.type) {
      case 'open':
        return this.open(msg);
      case 'resize':
        return this.withTerminal(msg.terminalId, (a) => a.term.resize(msg.cols, msg.rows));
      case 'ack':
        return this.withTerminal(msg.terminalId, (a) => a.term.ack(a.viewer, msg.offset));
      case 'detach':
        if (this.cancelOpening(msg.terminalId) && !this.byId.has(msg.terminalId)) return;
        return this.withTerminal(msg.terminalId, (a) => this.release(a));
      case 'ping':
        return this.send({ type: 'pong', id: msg.id });
      case 'watch':
        return this.checks.watch(msg.lesson);
      case 'check':
        return this.checks.check(msg.lesson, msg.exerciseId);
      case 'apply':
        return this.checks.apply(msg.lesson, msg.exerciseId);
    }
  }

  /**
   * Opens run concurrently (a page opens several tabs at once, e.g. a Run
   * pressed before the socket connected), so the channel is taken before the
   * first await: two shells must never share a channel, or one tab's keystrokes
   * and output would go to the other's shell.
   */
  private async open(msg: Extract<ClientMessage, { type: 'open' }>): Promise<void> {
    // A newer open of the same terminal replaces an older one, pending or attached.
    this.cancelOpening(msg.terminalId);
    const previous = this.byId.get(msg.terminalId);
    if (previous) this.release(previous);
    const channel = this.freeChannel();
    if (channel === undefined) return this.fail('internal', 'too many terminals open on this connection', msg.terminalId);
    const pending: Opening = { channel, cancelled: false };
    this.opening.set(msg.terminalId, pending);
    try {
      await this.attachShell(msg, pending);
    } finally {
      if (this.opening.get(msg.terminalId) === pending) this.opening.delete(msg.terminalId);
    }
  }

  private async attachShell(msg: Extract<ClientMessage, { type: 'open' }>, pending: Opening): Promise<void> {
    const { channel } = pending;
    const cluster = await this.sessions.ensureCluster(this.session).catch(() => undefined);
    if (pending.cancelled) return;
    if (!cluster) return this.fail('not_ready', this.session.info.progress ?? 'your cluster is not ready', msg.terminalId);
    if (!cluster.node(msg.node)) {
      const names = cluster.cluster.nodes.map((n) => n.name).join(', ');
      return this.fail('unknown_node', `there is no node "${msg.node}" in your cluster (nodes: ${names})`, msg.terminalId);
    }

    let term: TerminalSession;
    try {
      term = await cluster.terminal(msg.terminalId, msg.node, msg.cols, msg.rows);
    } catch (err) {
      if (pending.cancelled) return;
      if (err instanceof TooManyTerminals) return this.fail('too_many_terminals', err.message, msg.terminalId);
      return this.fail('exec_failed', `could not start a shell on ${msg.node}: ${errorMessage(err)}`, msg.terminalId);
    }
    if (pending.cancelled || this.ws.readyState !== this.ws.OPEN) return;
    const viewer: TerminalViewer = {
      output: (data) => this.sendBinary(channel, data),
      // What waits in this server for the socket: the shell pauses on it, whatever the client acks.
      backlog: () => this.ws.bufferedAmount,
      exited: (code) => {
        this.send({ type: 'exited', terminalId: msg.terminalId, code });
        this.forget(attached);
      },
    };
    const attached: Attached = { terminalId: msg.terminalId, channel, term, viewer };
    this.byId.set(msg.terminalId, attached);
    this.byChannel.set(channel, attached);
    // Attach and replay in one synchronous step, so no output slips in between.
    const replay = term.attach(viewer, msg.offset);
    this.send({ type: 'opened', terminalId: msg.terminalId, node: msg.node, channel, offset: replay.from });
    if (replay.data.length) this.sendBinary(channel, replay.data);
    term.resize(msg.cols, msg.rows);
  }

  /** Follow the picture of the session's current cluster (a reset brings a new one). */
  private watchClusterState(): void {
    const cluster = this.session.info.status === 'ready' ? this.session.cluster : undefined;
    if (this.watched?.cluster === cluster) return;
    this.watched?.stop();
    this.watched = cluster ? { cluster, stop: cluster.state.subscribe((state) => this.send({ type: 'clusterState', state })) } : null;
  }

  private withTerminal(terminalId: string, fn: (a: Attached) => void): void {
    const attached = this.byId.get(terminalId);
    if (!attached) return this.fail('unknown_terminal', `terminal "${terminalId}" is not open`, terminalId);
    fn(attached);
  }

  private freeChannel(): number | undefined {
    const taken = new Set([...this.byChannel.keys(), ...[...this.opening.values()].map((o) => o.channel)]);
    for (let c = 0; c < 256; c++) if (!taken.has(c)) return c;
    return undefined;
  }

  /** Drop a pending open of this terminal (detached or opened again); true if there was one. */
  private cancelOpening(terminalId: string): boolean {
    const pending = this.opening.get(terminalId);
    if (!pending) return false;
    pending.cancelled = true;
    this.opening.delete(terminalId);
    return true;
  }

  private release(a: Attached): void {
    a.term.detach(a.viewer);
    this.forget(a);
  }

  private forget(a: Attached): void {
    if (this.byId.get(a.terminalId) === a) this.byId.delete(a.terminalId);
    if (this.byChannel.get(a.channel) === a) this.byChannel.delete(a.channel);
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.summary) clearTimeout(this.summary);
    this.stopStallTimer();
    for (const cancel of this.inputHeld.values()) cancel();
    this.inputHeld.clear();
    this.flushErrorSummary();
    for (const id of [...this.opening.keys()]) this.cancelOpening(id);
    for (const a of [...this.byId.values()]) this.release(a);
    this.checks.close();
    this.watched?.stop();
    this.watched = null;
    this.unsubscribe();
    this.session.connections--;
    this.session.lastSeen = Date.now();
  }

  private fail(code: ErrorCode, message: string, terminalId?: string): void {
    this.logClientError(code, message);
    this.send({ type: 'error', code, message, ...(terminalId ? { terminalId } : {}) });
  }

  /** The first client error of an interval is logged; the rest are counted into one summary line. */
  private logClientError(code: ErrorCode, message: string): void {
    const now = Date.now();
    if (now - this.lastErrorLog >= this.opts.errorLogIntervalMs) {
      this.flushErrorSummary();
      this.lastErrorLog = now;
      this.log.warn('client error', { code, message });
      return;
    }
    this.quietErrors++;
    if (!this.summary) {
      this.summary = setTimeout(() => {
        this.summary = null;
        this.flushErrorSummary();
      }, this.lastErrorLog + this.opts.errorLogIntervalMs - now);
      this.summary.unref?.();
    }
  }

  private flushErrorSummary(): void {
    if (this.quietErrors === 0) return;
    this.log.warn('more client errors on this socket', { count: this.quietErrors, seconds: this.opts.errorLogIntervalMs / 1000 });
    this.quietErrors = 0;
    this.lastErrorLog = Date.now();
  }

  private send(msg: ServerMessage): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify(msg));
    this.checkQueue();
  }

  private sendBinary(channel: number, data: Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(encodeBinary(channel, data), { binary: true });
    this.checkQueue();
  }

  /**
   * Shells pause on their viewer's queue, but replays and pictures still add to it: a client that
   * lets it grow this far is not reading, and is disconnected before it costs the server memory.
   */
  private checkQueue(): void {
    if (this.ws.bufferedAmount <= this.opts.maxQueuedBytes) return;
    this.log.warn('client does not read its socket: disconnected', { queued: this.ws.bufferedAmount });
    this.ws.terminate();
  }
}
