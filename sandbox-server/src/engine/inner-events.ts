/**
 * Docker events from the engines inside a learner's nodes (each node's dockerd on <ip>:2375).
 *
 * One stream per node, shared by every consumer of the cluster (the visualizer feed, live exercise
 * checks): consumers subscribe to a ClusterEvents and the streams run while anyone listens. A
 * stream that ends or breaks (the node restarted, dockerd was killed) is opened again with backoff,
 * and every (re)connect is announced as `resync`: events may have been missed, read state afresh.
 * A stream opened before `docker swarm init` keeps working after it: the engine adds node and
 * service events to the same stream.
 */
import type { IncomingMessage } from 'node:http';
import Docker from 'dockerode';
import { followLines, ReadLimitError, type LineLimits } from './bounded.ts';
import { INNER_DOCKER_PORT, innerApi, type InnerApi } from './inner-api.ts';

export interface InnerEvent {
  /** Learner node the event came from (manager, worker-1, ...). */
  node: string;
  /** container, service, node, network, secret, config, ... */
  type: string;
  /** create, start, die, destroy, update, remove, connect, ... */
  action: string;
  /** The object's id (container id, service id, ...). */
  id: string;
  attributes: Record<string, string>;
  /** Engine time in ms. */
  time: number;
}

export type InnerEventsMessage =
  | { kind: 'event'; event: InnerEvent }
  /** The node's stream is (again) connected: anything may have changed meanwhile. */
  | { kind: 'resync'; node: string }
  /** The node's stream broke; reconnecting. `misbehaved`: it broke a limit (an endless line, a flood). */
  | { kind: 'lost'; node: string; error: string; misbehaved?: boolean };

export type InnerEventsListener = (message: InnerEventsMessage) => void;

/** Types worth watching; container chatter that says nothing about cluster state is dropped. */
const TYPES = ['container', 'service', 'node', 'network', 'secret', 'config', 'volume'];
const NOISE = /^(exec_|attach|resize|top|commit|copy|archive-path|export|extract-to-dir)/;

const API_TIMEOUT_MS = 5_000;
/** Keepalive probes make a stream to a node that restarted (new network stack) fail promptly. */
const KEEPALIVE_MS = 5_000;

/** Event lines are ~1 KiB; a node that sends longer ones or floods is cut off (and retried later). */
export const EVENT_LINE_LIMITS: LineLimits = { maxLine: 64 * 1024, maxBytesPerWindow: 4 * 1024 * 1024, windowMs: 10_000 };
/** After a node broke a limit, wait this long before listening to it again. */
const MISBEHAVED_RETRY_MS = 30_000;

/** A full dockerode client for a node's inner engine (tests and tools; the server reads nodes through innerApi). */
export function innerEngine(ip: string, timeoutMs = API_TIMEOUT_MS): Docker {
  return new Docker({ host: ip, port: INNER_DOCKER_PORT, protocol: 'http', timeout: timeoutMs });
}

export interface ReconnectPolicy {
  firstMs: number;
  maxMs: number;
  /** Wait after a node broke a limit. */
  misbehavedMs?: number;
}

/** Follows one engine's events, reconnecting until stopped. */
export class InnerEventStream {
  private stream: IncomingMessage | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = true;
  private failures = 0;
  /** Connected (streams are open) right now. */
  connected = false;

  constructor(
    readonly node: string,
    private readonly engine: InnerApi,
    private readonly emit: InnerEventsListener,
    private readonly policy: ReconnectPolicy = { firstMs: 200, maxMs: 5_000, misbehavedMs: MISBEHAVED_RETRY_MS },
    private readonly lineLimits: LineLimits = EVENT_LINE_LIMITS,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.failures = 0;
    void this.open();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stream?.destroy();
    this.stream = null;
    this.connected = false;
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    let stream: IncomingMessage;
    try {
      // The events endpoint holds the response open: only the headers are timed.
      stream = await this.engine.events({ type: TYPES });
    } catch (err) {
      return this.retry(err);
    }
    if (this.stopped) {
      stream.destroy();
      return;
    }
    this.stream = stream;
    stream.socket?.setTimeout(0);
    stream.socket?.setKeepAlive(true, KEEPALIVE_MS);
    this.connected = true;
    this.failures = 0;
    this.emit({ kind: 'resync', node: this.node });

    followLines(stream, this.lineLimits, (line) => this.onLine(line));
    let ended = false;
    const onEnd = (err?: Error) => {
      if (ended || stream !== this.stream) return;
      ended = true;
      this.stream = null;
      this.connected = false;
      this.retry(err ?? new Error('event stream ended'));
    };
    stream.on('end', () => onEnd());
    stream.on('close', () => onEnd());
    stream.on('error', (err) => onEnd(err));
  }

  private onLine(line: string): void {
    let raw: { Type?: string; Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> }; timeNano?: number; time?: number };
    try {
      raw = JSON.parse(line);
    } catch {
      return;
    }
    const action = raw.Action ?? '';
    if (NOISE.test(action)) return;
    this.emit({
      kind: 'event',
      event: {
        node: this.node,
        type: raw.Type ?? '',
        action,
        id: raw.Actor?.ID ?? '',
        attributes: raw.Actor?.Attributes ?? {},
        time: raw.timeNano ? Math.round(raw.timeNano / 1e6) : (raw.time ?? 0) * 1000,
      },
    });
  }

  private retry(err: unknown): void {
    if (this.stopped) return;
    const misbehaved = err instanceof ReadLimitError;
    if (this.failures === 0 || misbehaved) {
      this.emit({ kind: 'lost', node: this.node, error: err instanceof Error ? err.message : String(err), ...(misbehaved ? { misbehaved } : {}) });
    }
    const delay = misbehaved ? (this.policy.misbehavedMs ?? MISBEHAVED_RETRY_MS) : Math.min(this.policy.maxMs, this.policy.firstMs * 2 ** this.failures);
    this.failures++;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.open();
    }, delay);
    this.timer.unref?.();
  }
}

/**
 * The events of every node of one cluster, shared: the first subscriber opens one stream per node,
 * the last one to leave closes them.
 */
export class ClusterEvents {
  private readonly listeners = new Set<InnerEventsListener>();
  private readonly streams: InnerEventStream[];

  constructor(
    nodes: ReadonlyArray<{ name: string; ip: string }>,
    engineFor: (ip: string) => InnerApi = (ip) => innerApi(ip),
    policy?: ReconnectPolicy,
    lineLimits?: LineLimits,
  ) {
    this.streams = nodes.map((n) => new InnerEventStream(n.name, engineFor(n.ip), (m) => this.dispatch(m), policy, lineLimits));
  }

  subscribe(listener: InnerEventsListener): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) for (const s of this.streams) s.start();
    // A late subscriber learns which streams are already live (it missed their first resync).
    else for (const s of this.streams) if (s.connected) listener({ kind: 'resync', node: s.node });
    return () => {
      if (!this.listeners.delete(listener)) return;
      if (this.listeners.size === 0) for (const s of this.streams) s.stop();
    };
  }

  get watching(): boolean {
    return this.listeners.size > 0;
  }

  /** Stop everything (the cluster is being removed). */
  close(): void {
    this.listeners.clear();
    for (const s of this.streams) s.stop();
  }

  private dispatch(message: InnerEventsMessage): void {
    for (const l of [...this.listeners]) {
      try {
        l(message);
      } catch {
        // One consumer's bug must not starve the others.
      }
    }
  }
}
