/**
 * The browser's connection to the sandbox server: gets a session (no cluster: a page view never
 * takes one), claims the cluster on the learner's first action (claim()), keeps one WebSocket open
 * (reconnecting with backoff unless the server's close code says not to), tracks the cluster, and
 * multiplexes terminal sessions over it. This file wires the parts and owns the connection's life;
 * each part does one job: store.ts (the snapshot), socket.ts (the socket and its heartbeat),
 * terminals.ts (the terminal views), claim.ts (claiming), close-decision.ts and session-start.ts
 * (what a close code or a refused session means).
 *
 * Framework-free; the UI subscribes with useSyncExternalStore.
 */
import { closeCodes, paths, type ClientMessage, type ClusterInfo, type NodeName, type ServerMessage } from '@contract/protocol.ts';
import { reconnectDelay } from './backoff.ts';
import { ClaimRequests } from './claim.ts';
import { decideOnClose } from './close-decision.ts';
import { encodeControl, parseServerFrame } from './frames.ts';
import { SandboxHttp, wsUrl, type Fetch } from './http.ts';
import { planSessionRetry } from './session-start.ts';
import { SandboxSocket, type HeartbeatOptions } from './socket.ts';
import { SnapshotStore } from './store.ts';
import { TerminalMux } from './terminals.ts';
import type { ClaimRefusal, ConnectionState, OpenTerminalOptions, SandboxSnapshot, TerminalHandle } from './types.ts';

export interface SandboxClientOptions {
  /** '' = same origin (the only supported deployment). */
  baseUrl?: string;
  fetch?: Fetch;
  createWebSocket?: (url: string) => WebSocket;
  random?: () => number;
  now?: () => number;
  /** Ping and pong deadlines (tests); see socket.ts. */
  heartbeat?: HeartbeatOptions;
}

/** Keep the socket this long after the last workbench unmounts (lesson-to-lesson navigation). */
const LINGER_MS = 10_000;

export class SandboxClient {
  readonly http: SandboxHttp;
  private readonly store = new SnapshotStore();
  private readonly messageListeners = new Set<(message: ServerMessage) => void>();
  private readonly socket: SandboxSocket;
  private readonly terminals: TerminalMux;
  private readonly claims: ClaimRequests;
  private attempt = 0;
  private everConnected = false;
  private sessionClaimed = false;
  /** The learner acted before the session existed: claim as soon as it does. */
  private wantCluster = false;
  /** 429s in a row waited out while getting a session (bounded: see session-start.ts). */
  private sessionWaits = 0;
  /** When a socket of this page was last closed for input its shell did not read. */
  private lastInputStallAt: number | null = null;
  private users = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private lingerTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(private readonly options: SandboxClientOptions = {}) {
    this.http = new SandboxHttp(options.baseUrl ?? '', options.fetch);
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.socket = new SandboxSocket(options.createWebSocket ?? ((url) => new WebSocket(url)), {
      onOpen: () => this.onSocketOpen(),
      onFrame: (data) => this.onFrame(data),
      onClose: (code, reason) => this.onSocketClosed(code, reason),
      onSilent: () => {
        this.terminals.onDisconnected();
        this.scheduleRetry('The sandbox stopped answering.');
      },
    }, options.heartbeat);
    this.terminals = new TerminalMux({ send: (data) => this.socket.send(data), canOpen: (node) => this.canOpen(node) });
    this.claims = new ClaimRequests(
      this.http,
      {
        cluster: () => this.getSnapshot().cluster,
        onClaimed: (cluster) => this.onCluster(cluster),
        onRefused: (refusal) => this.onClaimRefused(refusal),
      },
      this.now,
    );
  }

  // ------------------------------------------------------------ store

  subscribe = (listener: () => void): (() => void) => this.store.subscribe(listener);

  getSnapshot = (): SandboxSnapshot => this.store.getSnapshot();

  private setConnection(connection: ConnectionState): void {
    this.store.update({ connection });
  }

  // ------------------------------------------------------------ lifecycle

  /** A workbench needs the connection; call the returned function when it is gone. */
  acquire(): () => void {
    this.users++;
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = null;
    if (this.getSnapshot().connection.kind === 'idle') void this.connect();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.users === 0) this.lingerTimer = setTimeout(() => this.stop(), LINGER_MS);
    };
  }

  /**
   * Retry now instead of waiting for the backoff timer (button, tab visible again, back online);
   * not while waiting out a server's Retry-After (it asked for that time, and would refuse again).
   */
  retryNow(): void {
    const connection = this.getSnapshot().connection;
    if (connection.kind === 'retrying' && !connection.refusal) void this.connect();
  }

  /**
   * After a stop that left the session alive (a tab too many, a shell that kept not reading, a server
   * that kept refusing): the learner pressed the button, connect again.
   */
  reconnect(): void {
    if (this.getSnapshot().connection.kind !== 'stopped') return;
    this.attempt = 0;
    this.sessionWaits = 0;
    void this.connect();
  }

  /** The learner read the notice (e.g. why their input was dropped). */
  dismissNotice(): void {
    this.store.update({ notice: null });
  }

  /** After `stopped` (no session, expired, replaced): claim a session again and reconnect. */
  restartSession(): void {
    this.sessionClaimed = false;
    this.wantCluster = true; // pressing "Start a new sandbox" is the learner's action
    this.attempt = 0;
    this.sessionWaits = 0;
    void this.connect();
  }

  /**
   * The learner acted (focus or a key in a terminal, Run, Apply, Start): take their cluster.
   * Cheap to call on every such event: it asks the server only while the session has none.
   */
  claim(): void {
    if (!this.sessionClaimed) {
      this.wantCluster = true;
      return;
    }
    this.claims.request();
  }

  async resetCluster(): Promise<void> {
    await this.http.resetCluster();
  }

  /** Close the connection now (tests, teardown). Terminals reattach on the next acquire(). */
  stop(): void {
    this.clearRetry();
    this.claims.cancel();
    this.socket.drop();
    this.terminals.onDisconnected();
    this.setConnection({ kind: 'idle' });
  }

  private async connect(): Promise<void> {
    this.clearRetry();
    this.socket.drop();
    this.terminals.onDisconnected();
    this.setConnection({ kind: 'connecting' });
    if (!this.sessionClaimed) {
      try {
        const { cluster } = await this.http.createSession();
        this.sessionClaimed = true;
        this.sessionWaits = 0;
        this.onCluster(cluster);
        if (this.wantCluster) {
          this.wantCluster = false;
          this.claim();
        }
      } catch (err) {
        if (this.getSnapshot().connection.kind !== 'connecting') return; // stopped meanwhile
        this.onSessionRefused(err);
        return;
      }
    }
    if (this.getSnapshot().connection.kind !== 'connecting') return; // stopped meanwhile
    if (!this.socket.open(wsUrl(paths.ws, this.options.baseUrl))) this.scheduleRetry('Could not open a WebSocket to the sandbox server.');
  }

  private onSessionRefused(err: unknown): void {
    const plan = planSessionRetry(err, this.sessionWaits, this.random);
    if (plan.kind === 'give-up') {
      this.setConnection({ kind: 'stopped', reason: 'refused', message: plan.words });
    } else if (plan.kind === 'wait') {
      // Asked to wait is not an outage: the server's words and its time, not the backoff's.
      this.sessionWaits++;
      this.scheduleRetry(plan.words, plan.delayMs, plan.words);
    } else {
      this.scheduleRetry(plan.words, Math.max(plan.minDelayMs, reconnectDelay(this.attempt, this.random)));
    }
  }

  private onSocketOpen(): void {
    this.attempt = 0;
    this.everConnected = true;
    this.setConnection({ kind: 'connected' });
    this.terminals.openWaiting();
  }

  private onSocketClosed(code: number, reason: string): void {
    this.terminals.onDisconnected();
    const now = this.now();
    const decision = decideOnClose(code, this.lastInputStallAt, now);
    if (code === closeCodes.inputStalled) this.lastInputStallAt = now;
    if (decision.action === 'stop') {
      if (decision.sessionGone) this.sessionClaimed = false;
      this.store.update({ notice: null });
      this.setConnection({ kind: 'stopped', reason: decision.reason, ...(reason ? { message: reason } : {}) });
      return;
    }
    if (decision.resetBackoff) this.attempt = 0;
    if (decision.notice) this.store.update({ notice: { kind: decision.notice, at: now } });
    const lost = this.everConnected ? 'The connection to the sandbox was lost.' : 'The sandbox server is not reachable.';
    this.scheduleRetry(reason ? `${lost} (${reason})` : lost);
  }

  /** `delayMs`: instead of the backoff's; `refusal`: the server asked us to wait, in these words. */
  private scheduleRetry(reason: string, delayMs?: number, refusal?: string): void {
    this.clearRetry();
    const delay = delayMs ?? reconnectDelay(this.attempt, this.random);
    this.attempt++;
    this.setConnection({
      kind: 'retrying',
      retryAt: this.now() + delay,
      attempt: this.attempt,
      reason,
      everConnected: this.everConnected,
      ...(refusal ? { refusal } : {}),
    });
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  // ------------------------------------------------------------ frames

  private onFrame(data: string | ArrayBuffer): void {
    const frame = parseServerFrame(data);
    if (frame.kind === 'output') {
      this.terminals.onOutput(frame.channel, frame.payload);
    } else if (frame.kind === 'message') {
      if (frame.message.type === 'cluster') this.onCluster(frame.message.cluster);
      else if (frame.message.type === 'pong') this.socket.onPong();
      else this.terminals.onMessage(frame.message);
      for (const l of this.messageListeners) l(frame.message);
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
    return this.socket.send(encodeControl(message));
  }

  private onCluster(cluster: ClusterInfo): void {
    // A refusal stands while the cluster is unclaimed; once it is anything else, it is history.
    this.store.update(cluster.status === 'unclaimed' ? { cluster } : { cluster, claimRefusal: null });
    if (cluster.status === 'expired') {
      // The server keeps the socket for this message; the session is over.
      this.sessionClaimed = false;
    }
    if (cluster.status !== 'ready') {
      // Idempotent: only shells that were attached get a notice.
      this.terminals.onClusterGone(cluster.status, cluster.progress);
      return;
    }
    this.terminals.openWaiting();
  }

  private onClaimRefused(refusal: ClaimRefusal): void {
    const current = this.getSnapshot().cluster;
    if (current?.status !== 'unclaimed') return;
    this.store.update({ claimRefusal: refusal });
    this.onCluster({ ...current, progress: refusal.message });
  }

  private canOpen(node: NodeName): boolean {
    const { connection, cluster } = this.getSnapshot();
    return connection.kind === 'connected' && cluster?.status === 'ready' && cluster.nodes.some((n) => n.name === node);
  }

  // ------------------------------------------------------------ terminals

  /** Attach a view to the node's shell. A second view with the same id replaces the first. */
  openTerminal(opts: OpenTerminalOptions): TerminalHandle {
    return this.terminals.openTerminal(opts);
  }
}
