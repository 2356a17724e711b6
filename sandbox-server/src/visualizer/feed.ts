/**
 * The live picture of one learner cluster. While someone watches, every relevant Docker event from
 * the nodes (debounced) makes the feed read nodes, services and tasks from a manager's API and the
 * containers of every node, and listeners get the compact state only when it changed. While tasks
 * are still on their way (pulling, starting) it looks again shortly, backing off: some steps of a
 * task raise no event on any engine.
 */
import { ReadLimitError } from '../engine/bounded.ts';
import { INNER_DOCKER_PORT, type InnerApi } from '../engine/inner-api.ts';
import type { ClusterEvents, InnerEventsMessage } from '../engine/inner-events.ts';
import type { Logger } from '../log.ts';
import { previewPath, type ClusterState, type NodeName } from '@contract/protocol.ts';
import { toClusterState, type RawCluster, type RawContainer, type RawInfo, type RawNode, type RawService, type RawTask } from '@contract/visualizer/model.ts';

export interface FeedNode {
  name: NodeName;
  ip: string;
}

export interface FeedOptions {
  clusterId: string;
  nodes: FeedNode[];
  events: ClusterEvents;
  engineFor: (ip: string) => InnerApi;
  ipvs: boolean;
  log?: Logger;
  /** Quiet time after an event before reading (events come in bursts). */
  debounceMs?: number;
  /** A burst never delays a read longer than this. */
  maxWaitMs?: number;
}

export type StateListener = (state: ClusterState) => void;

const FOLLOW_UP_FIRST_MS = 500;
const FOLLOW_UP_MAX_MS = 5_000;

export class ClusterStateFeed {
  private readonly listeners = new Set<StateListener>();
  private readonly engines = new Map<NodeName, InnerApi>();
  /** Nodes whose Docker API broke a read limit lately, and what it did (told to the learner). */
  private readonly misbehaving = new Map<string, string>();
  private roundProblems = new Map<string, string>();
  private state: ClusterState | undefined;
  private json = '';
  private unsubscribe: (() => void) | null = null;
  private debounce: ReturnType<typeof setTimeout> | null = null;
  private firstPending = 0;
  private followUp: ReturnType<typeof setTimeout> | null = null;
  private followUpMs = FOLLOW_UP_FIRST_MS;
  private reading: Promise<void> | null = null;
  private again = false;
  /** Reads done since start (for tests and the benchmark). */
  reads = 0;

  constructor(private readonly opts: FeedOptions) {
    for (const n of opts.nodes) this.engines.set(n.name, opts.engineFor(n.ip));
  }

  /** The last state read, if any (also while nobody watches: it may be stale then). */
  get current(): ClusterState | undefined {
    return this.state;
  }

  /** Get every change from now on; a listener joining a live feed gets the current state at once. */
  subscribe(listener: StateListener): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) {
      // The first read after a quiet spell always reaches the new listener, changed or not.
      this.json = '';
      this.unsubscribe = this.opts.events.subscribe((m) => this.onEvents(m));
      this.schedule(0);
    } else if (this.state) {
      listener(this.state);
    }
    return () => {
      if (!this.listeners.delete(listener) || this.listeners.size > 0) return;
      this.stop();
    };
  }

  /** Read now and return the state (e.g. for a preview request that needs to know a port). */
  async refresh(): Promise<ClusterState> {
    await this.read();
    return this.state!;
  }

  close(): void {
    this.listeners.clear();
    this.stop();
  }

  private stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const t of [this.debounce, this.followUp]) if (t) clearTimeout(t);
    this.debounce = this.followUp = null;
  }

  private onEvents(message: InnerEventsMessage): void {
    if (message.kind === 'event' && !relevant(message.event.type, message.event.action)) return;
    if (message.kind === 'lost' && message.misbehaved) this.misbehaving.set(`${message.node} (events)`, message.error);
    if (message.kind === 'resync') this.misbehaving.delete(`${message.node} (events)`);
    this.schedule(this.opts.debounceMs ?? 120);
  }

  /** Trailing debounce with a ceiling, so a steady trickle of events still produces pictures. */
  private schedule(delayMs: number): void {
    const now = Date.now();
    if (!this.debounce) this.firstPending = now;
    else clearTimeout(this.debounce);
    const ceiling = this.firstPending + (this.opts.maxWaitMs ?? 400);
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.read();
    }, Math.max(0, Math.min(delayMs, ceiling - now)));
    this.debounce.unref?.();
  }

  /** One read at a time; a request during a read makes exactly one more read after it. */
  private read(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = this.readOnce()
      .catch((err) => {
        // e.g. a manager that just restarted and has no leader yet: look again soon, less often while it lasts.
        if (this.followUpMs === FOLLOW_UP_FIRST_MS) this.opts.log?.warn('cluster state read failed', { cluster: this.opts.clusterId, error: String(err) });
        this.lookAgain(false);
      })
      .finally(() => {
        this.reading = null;
        if (this.again) {
          this.again = false;
          void this.read();
        }
      });
    return this.reading;
  }

  private async readOnce(): Promise<void> {
    this.reads++;
    this.roundProblems = new Map();
    // Read problems are those of the latest round (a node that behaves again is no longer named).
    const raw = await this.readRaw().finally(() => {
      for (const key of [...this.misbehaving.keys()]) if (key.endsWith('(reads)')) this.misbehaving.delete(key);
      for (const [key, why] of this.roundProblems) this.misbehaving.set(key, why);
    });
    const state = withProblems(
      toClusterState(raw, {
        learnerNodes: this.opts.nodes,
        ipvs: this.opts.ipvs,
        previewUrl: (node, port) => previewPath(this.opts.clusterId, node, port),
      }),
      this.misbehaving,
    );
    const json = JSON.stringify(state);
    const changed = json !== this.json;
    if (changed) {
      this.state = state;
      this.json = json;
      for (const l of [...this.listeners]) l(state);
    }
    this.planFollowUp(state, changed);
  }

  private async readRaw(): Promise<RawCluster> {
    const names = [...this.engines.keys()];
    // A read that breaks a limit marks its node until it answers within limits again.
    const guarded = <T>(node: NodeName, read: Promise<unknown>): Promise<T | null> =>
      this.guard(node, read).catch(() => null) as Promise<T | null>;
    const [infos, containers] = await Promise.all([
      Promise.all(names.map((n) => guarded<RawInfo>(n, this.engines.get(n)!.info()))),
      Promise.all(names.map((n) => guarded<RawContainer[]>(n, this.engines.get(n)!.listContainers()))),
    ]);
    const answering = names.map((name, i) => ({ name, info: infos[i] })).filter((x): x is { name: NodeName; info: RawInfo } => !!x.info);
    // Read the swarm from a manager, preferring the node called manager; else show what one node says.
    const managers = answering.filter((x) => x.info.Swarm?.LocalNodeState === 'active' && x.info.Swarm.ControlAvailable);
    const source = managers.find((x) => x.name === 'manager') ?? managers[0] ?? answering.find((x) => x.name === 'manager') ?? answering[0];
    const perNode: Partial<Record<NodeName, RawContainer[]>> = {};
    names.forEach((n, i) => {
      if (containers[i]) perNode[n] = containers[i]!;
    });
    const raw: RawCluster = { source: source?.name ?? null, info: source?.info ?? null, nodes: [], services: [], tasks: [], containers: perNode };
    if (source && managers.includes(source)) {
      const engine = this.engines.get(source.name)!;
      const [nodes, services, tasks] = await Promise.all([
        this.guard(source.name, engine.listNodes()) as Promise<RawNode[]>,
        this.guard(source.name, engine.listServices()) as Promise<RawService[]>,
        this.guard(source.name, engine.listTasks()) as Promise<RawTask[]>,
      ]);
      Object.assign(raw, { nodes, services, tasks });
    }
    return raw;
  }

  /** A read from a node: one that breaks a limit marks the node until its reads are within limits again. */
  private async guard(node: NodeName, read: Promise<unknown>): Promise<unknown> {
    try {
      return await read;
    } catch (err) {
      // Too big is hostile; too slow may only be a busy or restarting node (it just fails this round).
      if (err instanceof ReadLimitError && err.kind === 'size') this.roundProblems.set(`${node} (reads)`, err.message);
      throw err;
    }
  }

  /** Tasks still converging raise no event for some steps: look again, less often while nothing moves. */
  private planFollowUp(state: ClusterState, changed: boolean): void {
    if (this.followUp) clearTimeout(this.followUp);
    this.followUp = null;
    if (!this.unsubscribe) return;
    const settled = state.tasks.every((t) => t.state === t.desiredState || t.state === 'running') && state.swarm !== 'pending' && state.swarm !== 'unreachable';
    if (settled) {
      this.followUpMs = FOLLOW_UP_FIRST_MS;
      return;
    }
    this.lookAgain(changed);
  }

  private lookAgain(changed: boolean): void {
    if (this.followUp) clearTimeout(this.followUp);
    if (!this.unsubscribe) return;
    this.followUpMs = changed ? FOLLOW_UP_FIRST_MS : Math.min(FOLLOW_UP_MAX_MS, this.followUpMs * 2);
    this.followUp = setTimeout(() => {
      this.followUp = null;
      void this.read();
    }, this.followUpMs);
    this.followUp.unref?.();
  }
}

/** Tell the learner which node's Docker API the server stopped trusting, and why. */
function withProblems(state: ClusterState, misbehaving: ReadonlyMap<string, string>): ClusterState {
  if (misbehaving.size === 0) return state;
  const said = [...misbehaving].map(([node, why]) => `${node}: ${why}`).join('; ');
  const note = `The Docker API on port ${INNER_DOCKER_PORT} of a node answered outside the server's limits, so the server stopped reading it for a while (${said}). Restore the node's own dockerd on that port to see the cluster again.`;
  return { ...state, message: state.message ? `${note} ${state.message}` : note };
}

/** Events that can change the picture or the published ports. */
function relevant(type: string, action: string): boolean {
  if (type === 'service' || type === 'node') return true;
  if (type === 'container') return ['create', 'start', 'die', 'destroy', 'stop', 'kill', 'pause', 'unpause', 'rename', 'oom'].includes(action);
  return false;
}
