/**
 * A running cluster and its shells. Shells are keyed by the browser's
 * terminal id, so a reload reattaches to the same bash with its scrollback.
 */
import type Docker from 'dockerode';
import { innerApi } from '../engine/inner-api.js';
import { ClusterEvents } from '../engine/inner-events.js';
import type { Logger } from '../log.js';
import { TerminalSession } from '../terminals/terminal.js';
import { ClusterStateFeed } from '../visualizer/feed.js';
import type { Cluster, ClusterNode } from './provision.js';

export interface WatchOptions {
  /** Whether the host routes the ingress mesh (IPVS): decides what the port preview promises. */
  ipvs: boolean;
  log?: Logger;
}

export class LiveCluster {
  private readonly terminals = new Map<string, Promise<TerminalSession>>();
  /** Docker events of every node, one stream per node shared by all consumers (visualizer, checks). */
  readonly events: ClusterEvents;
  /** The live cluster picture (visualizer panel, port badges, preview). */
  readonly state: ClusterStateFeed;

  constructor(
    readonly cluster: Cluster,
    private readonly docker: Docker,
    private readonly scrollbackBytes: number,
    watch: WatchOptions = { ipvs: true },
  ) {
    this.events = new ClusterEvents(cluster.nodes);
    this.state = new ClusterStateFeed({
      clusterId: cluster.id,
      nodes: cluster.nodes,
      events: this.events,
      engineFor: (ip) => innerApi(ip),
      ipvs: watch.ipvs,
      log: watch.log,
    });
  }

  get id(): string {
    return this.cluster.id;
  }

  node(name: string): ClusterNode | undefined {
    return this.cluster.nodes.find((n) => n.name === name);
  }

  container(name: string): Docker.Container | undefined {
    const node = this.node(name);
    return node && this.docker.getContainer(node.containerId);
  }

  /** The shell with this id, started on `node` if it does not exist (or has exited). */
  async terminal(id: string, nodeName: string, cols: number, rows: number): Promise<TerminalSession> {
    const existing = this.terminals.get(id);
    if (existing) {
      const term = await existing.catch(() => undefined);
      if (term && !term.exited && term.node === nodeName) return term;
      if (term) term.close();
    }
    const container = this.container(nodeName);
    if (!container) throw new Error(`no node ${nodeName} in this cluster`);
    const starting = TerminalSession.start({ container, id, node: nodeName, cols, rows, scrollbackBytes: this.scrollbackBytes });
    this.terminals.set(id, starting);
    starting.catch(() => this.terminals.delete(id));
    return starting;
  }

  /** Start the default shell of every node ahead of time, so the first prompt is already there. */
  prewarmShells(): void {
    for (const node of this.cluster.nodes) {
      void this.terminal(defaultTerminalId(node.name), node.name, 80, 24).catch(() => undefined);
    }
  }

  closeTerminals(): void {
    for (const t of this.terminals.values()) void t.then((term) => term.close(), () => undefined);
    this.terminals.clear();
  }

  /** Stop following the nodes' engines (the cluster is being removed). */
  stopWatching(): void {
    this.state.close();
    this.events.close();
  }
}

/** The terminal id the browser uses for a node's main tab. */
export function defaultTerminalId(node: string): string {
  return `t-${node}`;
}
