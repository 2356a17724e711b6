/**
 * The browser's connection to the sandbox server: gets a session (no cluster:
 * a page view never takes one), claims the cluster on the learner's first
 * action (claim()), keeps one WebSocket open (reconnecting with backoff unless the server says not
 * to), tracks the cluster, and multiplexes terminal sessions over it.
 *
 * Framework-free; the UI subscribes with useSyncExternalStore.
 */
import { closeCodes, defaultTerminalId, paths, type ClientMessage, type ClusterInfo, type NodeName, type ServerMessage } from '@contract/protocol.ts';
import { reconnectDelay } from './backoff.ts';
import { encodeControl, parseServerFrame } from './frames.ts';
import { SandboxHttp, SandboxHttpError, wsUrl, type Fetch } from './http.ts';
import { TerminalSession, type TerminalTransport } from './terminal-session.ts';
import type { ConnectionState, OpenTerminalOptions, SandboxSnapshot, TerminalHandle } from './types.ts';

export interface SandboxClientOptions {
  /** '' = same origin (the only supported deployment). */
  baseUrl?: string;
  fetch?: Fetch;
  createWebSocket?: (url: string) => WebSocket;
  random?: () => number;
}

const PING_EVERY_MS = 20_000;
const PONG_TIMEOUT_MS = 10_000;
/** Keep the socket this long after the last workbench unmounts (lesson-to-lesson navigation). */
const LINGER_MS = 10_000;
/** A claim the browser could not deliver is sent again this many times (after 1 s, 2 s, 3 s). */
const CLAIM_RETRIES = 3;

export class SandboxClient implements TerminalTransport {
  readonly http: SandboxHttp;
  private snapshot: SandboxSnapshot = { connection: { kind: 'idle' }, cluster: null };
  private readonly listeners = new Set<() => void>();
  private readonly messageListeners = new Set<(message: ServerMessage) => void>();
  private ws: WebSocket | null = null;
  private attempt = 0;
  private everConnected = false;
  private sessionClaimed = false;
  /** The learner acted before the session existed: claim as soon as it does. */
  private wantCluster = false;
  private claiming = false;
  private users = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private claimTimer: ReturnType<typeof setTimeout> | undefined;
  private lingerTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private pongTimer: ReturnType<typeof setTimeout> | null = null;
  private pingId = 0;
  private readonly terminals = new Map<string, TerminalSession>();
  private readonly byChannel = new Map<number, TerminalSession>();
  private readonly createWebSocket: (url: string) => WebSocket;
  private readonly random: () => number;

  constructor(private readonly options: SandboxClientOptions = {}) {
    this.http = new SandboxHttp(options.baseUrl ?? '', options.fetch);
    this.createWebSocket = options.createWebSocket ?? ((url) => new WebSocket(url));
    this.random = options.random ?? Math.random;
  }

  // ------------------------------------------------------------ store

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): SandboxSnapshot => this.snapshot;

  private update(patch: Partial<SandboxSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const l of this.listeners) l();
  }

  private setConnection(connection: ConnectionState): void {
    this.update({ connection });
  }

  // ------------------------------------------------------------ lifecycle

  /** A workbench needs the connection; call the returned function when it is gone. */
  acquire(): () => void {
    this.users++;
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = null;
    if (this.snapshot.connection.kind === 'idle') void this.connect();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.users === 0) this.lingerTimer = setTimeout(() => this.stop(), LINGER_MS);
    };
  }

  /** Retry now instead of waiting for the backoff timer (button, tab visible again, back online). */
  retryNow(): void {
    if (this.snapshot.connection.kind === 'retrying') void this.connect();
  }

  /** After `stopped` (no session, expired, replaced): claim a session again and reconnect. */
  restartSession(): void {
    this.sessionClaimed = false;
    this.wantCluster = true; // pressing "Start a new sandbox" is the learner's action
    this.attempt = 0;
    void this.connect();
  }

  /**
   * The learner acted (focus or a key in a terminal, Run, Apply, Start): take their cluster.
   * Cheap to call on every such event: it asks the server only while the session has none.
   */
  claim(): void {
    this.requestClaim(0);
  }

  private requestClaim(attempt: number): void {
    if (!this.sessionClaimed) {
      this.wantCluster = true;
      return;
    }
    if (this.claiming || this.snapshot.cluster?.status !== 'unclaimed') return;
    this.claiming = true;
    this.http
      .claimCluster()
      .then(({ cluster }) => {
        if (this.snapshot.cluster?.status === 'unclaimed') this.onCluster(cluster);
      })
      .catch((err: unknown) => {
        // The browser dropped the request (a network change, a blip): a claim is idempotent, ask again.
        if (err instanceof SandboxHttpError && err.status === null && attempt < CLAIM_RETRIES) {
          this.claimTimer = setTimeout(() => this.requestClaim(attempt + 1), 1000 * (attempt + 1));
          return;
        }
        // Refused (429: too many sandboxes on this network, 403: workshops only): the server's words, and Start stays.
        const words = err instanceof SandboxHttpError ? err.message : 'The sandbox server gave an unexpected answer.';
        const current = this.snapshot.cluster;
        if (current?.status === 'unclaimed') this.onCluster({ ...current, progress: words });
      })
      .finally(() => (this.claiming = false));
  }

  async resetCluster(): Promise<void> {
    await this.http.resetCluster();
  }

  /** Close the connection now (tests, teardown). Terminals reattach on the next acquire(). */
  stop(): void {
    this.clearRetry();
    clearTimeout(this.claimTimer);
    this.dropSocket();
    for (const t of this.terminals.values()) t.onDisconnected();
    this.setConnection({ kind: 'idle' });
  }

  private async connect(): Promise<void> {
    this.clearRetry();
    this.dropSocket();
    this.setConnection({ kind: 'connecting' });
    if (!this.sessionClaimed) {
      try {
        const { cluster } = await this.http.createSession();
        this.sessionClaimed = true;
        this.onCluster(cluster);
        if (this.wantCluster) {
          this.wantCluster = false;
          this.claim();
        }
      } catch (err) {
        const reason = err instanceof SandboxHttpError ? err.message : 'The sandbox server gave an unexpected answer.';
        this.scheduleRetry(reason);
        return;
      }
    }
    if (this.snapshot.connection.kind !== 'connecting') return; // stopped meanwhile
    let ws: WebSocket;
    try {
      ws = this.createWebSocket(wsUrl(paths.ws, this.options.baseUrl));
    } catch {
      this.scheduleRetry('Could not open a WebSocket to the sandbox server.');
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      this.attempt = 0;
      this.everConnected = true;
      this.setConnection({ kind: 'connected' });
      this.startPing();
      this.openWaitingTerminals();
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (ws !== this.ws) return;
      this.onFrame(ev.data as string | ArrayBuffer);
    };
    ws.onclose = (ev: CloseEvent) => {
      if (ws !== this.ws) return;
      this.onSocketClosed(ev.code, ev.reason);
    };
    ws.onerror = () => {
      /* a close event follows with the details */
    };
  }

  private onSocketClosed(code: number, reason: string): void {
    this.ws = null;
    this.stopPing();
    this.byChannel.clear();
    for (const t of this.terminals.values()) t.onDisconnected();
    if (code === closeCodes.noSession || code === closeCodes.sessionExpired || code === closeCodes.replaced) {
      this.sessionClaimed = false;
      const why = code === closeCodes.noSession ? 'no-session' : code === closeCodes.sessionExpired ? 'expired' : 'replaced';
      this.setConnection({ kind: 'stopped', reason: why });
      return;
    }
    if (code === closeCodes.serverRestart) this.attempt = 0;
    const lost = this.everConnected ? 'The connection to the sandbox was lost.' : 'The sandbox server is not reachable.';
    this.scheduleRetry(reason ? `${lost} (${reason})` : lost);
  }

  private scheduleRetry(reason: string): void {
    const delay = reconnectDelay(this.attempt, this.random);
    this.attempt++;
    this.setConnection({ kind: 'retrying', retryAt: Date.now() + delay, attempt: this.attempt, reason, everConnected: this.everConnected });
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** Forget the current socket without waiting for a close handshake that may never come. */
  private dropSocket(): void {
    this.stopPing();
    const ws = this.ws;
    this.ws = null;
    this.byChannel.clear();
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try {
      ws.close(1000);
    } catch {
      /* already closed */
    }
  }

  private startPing(): void {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      this.send({ type: 'ping', id: ++this.pingId });
      if (!this.pongTimer) {
        this.pongTimer = setTimeout(() => {
          // Any frame clears this timer; silence means a dead connection.
          this.dropSocket();
          for (const t of this.terminals.values()) t.onDisconnected();
          this.scheduleRetry('The sandbox stopped answering.');
        }, PONG_TIMEOUT_MS);
      }
    }, PING_EVERY_MS);
  }

  private stopPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.pingTimer = this.pongTimer = null;
  }

  // ------------------------------------------------------------ frames

  private onFrame(data: string | ArrayBuffer): void {
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.pongTimer = null;
    const frame = parseServerFrame(data);
    if (frame.kind === 'output') {
      this.byChannel.get(frame.channel)?.onOutput(frame.payload);
    } else if (frame.kind === 'message') {
      this.onMessage(frame.message);
    } else {
      console.warn('[sandbox] ignored an invalid frame:', frame.reason);
    }
  }

  /**
   * Every valid server message, after the client's own handling: for features
   * beside the terminals (exercise checks, cluster picture). Returns unsubscribe.
   */
  onServerMessage(listener: (message: ServerMessage) => void): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  /** Send a control message (e.g. `watch` a lesson); false when not connected. */
  sendMessage(message: ClientMessage): boolean {
    if (message.type === 'apply') this.claim(); // Apply solution needs a cluster: it is an action
    return this.send(message);
  }

  private onMessage(msg: ServerMessage): void {
    this.handleMessage(msg);
    for (const l of this.messageListeners) l(msg);
  }

  private handleMessage(msg: ServerMessage): void {
    switch (msg.type) {
      case 'cluster':
        this.onCluster(msg.cluster);
        break;
      case 'opened': {
        const t = this.terminals.get(msg.terminalId);
        if (!t) return;
        for (const [ch, other] of this.byChannel) if (other === t) this.byChannel.delete(ch);
        this.byChannel.set(msg.channel, t);
        t.onOpened(msg.channel, msg.offset);
        break;
      }
      case 'exited': {
        const t = this.terminals.get(msg.terminalId);
        if (t?.channel !== null && t?.channel !== undefined) this.byChannel.delete(t.channel);
        t?.onExited(msg.code);
        break;
      }
      case 'error': {
        const t = msg.terminalId ? this.terminals.get(msg.terminalId) : undefined;
        if (t) {
          if (t.channel !== null) this.byChannel.delete(t.channel);
          t.onError(msg.code, msg.message);
        } else {
          console.warn(`[sandbox] server error ${msg.code}: ${msg.message}`);
        }
        break;
      }
      default:
        break; // pong, and messages for onServerMessage listeners
    }
  }

  private onCluster(cluster: ClusterInfo): void {
    this.update({ cluster });
    if (cluster.status === 'expired') {
      // The server keeps the socket for this message; the session is over.
      this.sessionClaimed = false;
    }
    if (cluster.status !== 'ready') {
      // Idempotent: only shells that were attached get a notice.
      for (const t of this.terminals.values()) t.onClusterGone(cluster.status, cluster.progress);
      return;
    }
    this.openWaitingTerminals();
  }

  private openWaitingTerminals(): void {
    for (const t of this.terminals.values()) t.tryOpen();
  }

  private send(message: ClientMessage): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== 1) return false;
    ws.send(encodeControl(message));
    return true;
  }

  // ------------------------------------------------------------ TerminalTransport

  sendControl(message: ClientMessage): boolean {
    return this.send(message);
  }

  sendBinary(frame: Uint8Array): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== 1) return false;
    ws.send(frame);
    return true;
  }

  canOpen(node: NodeName): boolean {
    const c = this.snapshot.cluster;
    return this.snapshot.connection.kind === 'connected' && c?.status === 'ready' && c.nodes.some((n) => n.name === node);
  }

  release(session: TerminalSession): void {
    if (this.terminals.get(session.terminalId) === session) this.terminals.delete(session.terminalId);
    for (const [ch, t] of this.byChannel) if (t === session) this.byChannel.delete(ch);
  }

  // ------------------------------------------------------------ terminals

  /** Attach a view to the node's shell. A second view with the same id replaces the first. */
  openTerminal(opts: OpenTerminalOptions): TerminalHandle {
    const terminalId = opts.terminalId ?? defaultTerminalId(opts.node);
    this.terminals.get(terminalId)?.close();
    const session = new TerminalSession(terminalId, opts.node, { cols: opts.cols, rows: opts.rows }, opts.sink, this);
    this.terminals.set(terminalId, session);
    session.tryOpen();
    return session;
  }
}
