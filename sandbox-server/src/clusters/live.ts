/**
 * A running cluster and its shells. Shells are keyed by the browser's
 * terminal id, so a reload reattaches to the same bash with its scrollback.
 */
import { setTimeout } from 'node:timers/promises';
import type Docker from 'dockerode';
import { innerApi } from '../engine/inner-api.ts';
import { ClusterEvents } from '../engine/inner-events.ts';
import type { Logger } from '../log.ts';
import { DEFAULT_TERMINAL_LIMITS, TerminalSet, type TerminalLimits } from '../terminals/registry.ts';
import { defaultTerminalId } from '@contract/protocol.ts';
import { TerminalSession } from '../terminals/terminal.ts';
import { ClusterStateFeed } from '../visualizer/feed.ts';
import type { PreloadResult } from './preload.ts';
import type { Cluster, ClusterNode } from './provision.ts';

export interface WatchOptions {
  /** Whether the host routes the ingress mesh (IPVS): decides what the port preview promises. */
  ipvs: boolean;
  log?: Logger;
  /** Shells per cluster and when an unwatched one is closed (SWB_MAX_TERMINALS, SWB_TERMINAL_IDLE_MIN). */
  terminals?: TerminalLimits;
}

export class LiveCluster {
  private readonly terminals: TerminalSet;
  /** Docker events of every node, one stream per node shared by all consumers (visualizer, checks). */
  readonly events: ClusterEvents;
  /** The live cluster picture (visualizer panel, port badges, preview). */
  readonly state: ClusterStateFeed;
  /** What the warm pool's image preload did, node by node (clusters/preload.ts); unset when none ran. */
  preloaded?: PreloadResult[];

  constructor(
    readonly cluster: Cluster,
    private readonly docker: Docker,
    private readonly scrollbackBytes: number,
    watch: WatchOptions = { ipvs: true },
  ) {
    this.terminals = new TerminalSet(watch.terminals ?? DEFAULT_TERMINAL_LIMITS);
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

  /** The shell with this id, started on `node` if it does not exist (or has exited); refused past the cap. */
  async terminal(id: string, nodeName: string, cols: number, rows: number): Promise<TerminalSession> {
    const container = this.container(nodeName);
    if (!container) throw new Error(`no node ${nodeName} in this cluster`);
    return this.terminals.get(id, nodeName, () => TerminalSession.start({ container, id, node: nodeName, cols, rows, scrollbackBytes: this.scrollbackBytes }));
  }

  /** Shells open or starting in this cluster, and the bytes read from them so far. */
  get terminalStats(): { count: number; outputBytes: number } {
    return { count: this.terminals.size, outputBytes: this.terminals.outputBytes };
  }

  /**
   * Start the default shell of every node ahead of time, and resolve once each has printed its
   * prompt (or 5 s passed): a warm cluster handed out before that made its learner wait for
   * `docker exec` and bash's start-up on a host busy refilling the pool (first byte p95 0.2-0.6 s).
   * A shell that failed is started again when its learner opens it.
   */
  async prewarmShells(): Promise<void> {
    const shells = this.cluster.nodes.map((node) => this.terminal(defaultTerminalId(node.name), node.name, 80, 24).then((t) => t.printed));
    await Promise.race([Promise.allSettled(shells), setTimeout(5_000, undefined, { ref: false })]);
  }

  closeTerminals(): void {
    this.terminals.closeAll();
  }

  /** Stop following the nodes' engines (the cluster is being removed). */
  stopWatching(): void {
    this.state.close();
    this.events.close();
  }
}

