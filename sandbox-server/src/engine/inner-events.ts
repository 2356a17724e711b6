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
import { INNER_DOCKER_PORT } from '../clusters/provision.js';

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
  /** The node's stream broke; reconnecting. */
  | { kind: 'lost'; node: string; error: string };

export type InnerEventsListener = (message: InnerEventsMessage) => void;

/** Types worth watching; container chatter that says nothing about cluster state is dropped. */
const TYPES = ['container', 'service', 'node', 'network', 'secret', 'config', 'volume'];
const NOISE = /^(exec_|attach|resize|top|commit|copy|archive-path|export|extract-to-dir)/;

const API_TIMEOUT_MS = 5_000;
/** Keepalive probes make a stream to a node that restarted (new network stack) fail promptly. */
const KEEPALIVE_MS = 5_000;

/** A dockerode client for a node's inner engine. */
export function innerEngine(ip: string, timeoutMs = API_TIMEOUT_MS): Docker {
  return new Docker({ host: ip, port: INNER_DOCKER_PORT, protocol: 'http', timeout: timeoutMs });
}

export interface ReconnectPolicy {
  firstMs: number;
  maxMs: number;
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
    private readonly engine: Docker,
    private readonly emit: InnerEventsListener,
    private readonly policy: ReconnectPolicy = { firstMs: 200, maxMs: 5_000 },
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
      // The events endpoint holds the response open; the client-wide timeout must not cut it.
      stream = (await this.engine.getEvents({ filters: { type: TYPES } } as object)) as unknown as IncomingMessage;
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

    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) this.onLine(line);
      }
    });
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
    if (this.failures === 0) this.emit({ kind: 'lost', node: this.node, error: err instanceof Error ? err.message : String(err) });
    const delay = Math.min(this.policy.maxMs, this.policy.firstMs * 2 ** this.failures);
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
    engineFor: (ip: string) => Docker = innerEngine,
    policy?: ReconnectPolicy,
  ) {
    this.streams = nodes.map((n) => new InnerEventStream(n.name, engineFor(n.ip), (m) => this.dispatch(m), policy));
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
