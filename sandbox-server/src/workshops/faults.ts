/**
 * Class faults: the instructor breaks every learner's swarm the same way at once
 * (drain a node, freeze a node's engine, kill a task), and the dashboard follows
 * each cluster until it has healed. Actions go through each cluster's own Docker
 * APIs (the manager's inner engine for swarm changes, the node's inner engine to
 * remove a task container, `docker exec` into the node container to freeze its
 * engine), a few clusters at a time; watching is one read of the manager every
 * couple of seconds per learner.
 */
import type Docker from 'dockerode';
import { runStep } from '../checks/apply.ts';
import type { ServiceJson, SwarmNodeJson, TaskJson } from '../checks/engine.ts';
import { innerEngine } from '../engine/inner-events.ts';
import { within } from '../engine/node-exec.ts';
import type { Logger } from '../log.ts';
import { errorMessage } from '../log.ts';
import type { ClassFault, FaultStatus } from '@contract/workshop.ts';
import type { LearnerSession } from '../sessions/manager.ts';
import { faultLabel, judge, type SwarmRead } from './fault-judge.ts';

const PARALLEL = 4;
const ENGINE_TIMEOUT_MS = 5000;
/** `pkill` in a node gets this long from the node's `timeout`; the server gives up 10 s later (apply.ts). */
const EXEC_TIMEOUT_S = 20;
/**
 * All of one cluster's action, whatever its node does: the engine calls above have only idle
 * timeouts (a learner's fake engine can trickle an answer forever), and a slot is shared by the class.
 */
const ACT_DEADLINE_MS = 60_000;

export interface ClassFaultOptions {
  log: Logger;
  /** Give up watching a cluster that has not healed after this long. */
  healTimeoutMs?: number;
  pollMs?: number;
  /** Server-side deadline of a command run in a node (default: 30 s); tests make it short. */
  execDeadlineMs?: number;
  /** Server-side deadline of one cluster's whole action (default: ACT_DEADLINE_MS). */
  actDeadlineMs?: number;
}

type Target = { learnerId: string; session: LearnerSession | undefined };

export class ClassFaults {
  private readonly statuses = new Map<string, FaultStatus>();
  /** A newer fault on the same learner stops watching the older one. */
  private readonly generation = new Map<string, number>();
  /** Engines frozen by stopEngine, with how to thaw them (done early on close). */
  private readonly frozen = new Map<string, { timer: NodeJS.Timeout; thaw: () => Promise<unknown> }>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private closed = false;

  constructor(private readonly opts: ClassFaultOptions) {}

  status(learnerId: string): FaultStatus | undefined {
    return this.statuses.get(learnerId);
  }

  /** Fire `fault` on every target's cluster; returns how many clusters it goes to. */
  fire(targets: Target[], fault: ClassFault, changed: () => void): number {
    const label = faultLabel(fault);
    let n = 0;
    for (const t of targets) {
      const gen = (this.generation.get(t.learnerId) ?? 0) + 1;
      this.generation.set(t.learnerId, gen);
      this.statuses.set(t.learnerId, { label, state: 'waiting' });
      n++;
      void this.run(t, fault, gen, changed);
    }
    this.opts.log.info('class fault fired', { fault: label, clusters: n });
    changed();
    return n;
  }

  close(): void {
    this.closed = true;
    for (const [key, f] of this.frozen) {
      clearTimeout(f.timer);
      void f.thaw().catch(() => undefined);
      this.frozen.delete(key);
    }
  }

  private async run(t: Target, fault: ClassFault, gen: number, changed: () => void): Promise<void> {
    const current = () => !this.closed && this.generation.get(t.learnerId) === gen;
    const update = (patch: Partial<FaultStatus>) => {
      if (!current()) return;
      this.statuses.set(t.learnerId, { ...this.statuses.get(t.learnerId)!, ...patch });
      changed();
    };
    let acted: { killedTask?: string; firedAt: number; manager: Docker } | null = null;
    if (this.running >= PARALLEL) await new Promise<void>((go) => this.waiting.push(go));
    this.running++;
    try {
      if (!current()) return;
      update({ state: 'firing' });
      const limitMs = this.opts.actDeadlineMs ?? ACT_DEADLINE_MS;
      // The slot is freed at the deadline; a late action still finishes (and registers its thaw) on its own.
      acted = await within(this.act(t, fault), limitMs, () => new Error(`the class fault could not finish within ${limitMs / 1000} s: this cluster's engines did not answer in time`));
      update({ state: 'healing', firedAt: acted.firedAt, message: 'waiting for the swarm to react' });
    } catch (err) {
      update({ state: 'skipped', message: errorMessage(err) });
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
    if (acted) await this.watch(fault, acted, current, update);
  }

  /** Break this learner's cluster; throws a reason in plain words when it cannot. */
  private async act(t: Target, fault: ClassFault): Promise<{ killedTask?: string; firedAt: number; manager: Docker }> {
    const cluster = t.session?.cluster;
    if (!cluster || t.session?.info.status !== 'ready') throw new Error('the cluster is not ready');
    const managerNode = cluster.node('manager');
    if (!managerNode) throw new Error('the cluster has no manager node');
    const manager = innerEngine(managerNode.ip, ENGINE_TIMEOUT_MS);
    const info = (await manager.info()) as { Swarm?: { ControlAvailable?: boolean } };
    if (!info.Swarm?.ControlAvailable) throw new Error('there is no swarm on manager yet');
    const nodes = (await manager.listNodes()) as unknown as SwarmNodeJson[];
    const firedAt = Date.now();

    if (fault.kind === 'killTask') {
      const services = (await manager.listServices()) as unknown as ServiceJson[];
      const service = findService(services, fault.service);
      if (!service) throw new Error(`no service matches ${fault.service} (services: ${services.map((s) => s.Spec.Name).join(', ') || 'none'})`);
      const tasks = (await manager.listTasks({ filters: { service: [service.ID], 'desired-state': ['running'] } })) as unknown as (TaskJson & { Status?: { ContainerStatus?: { ContainerID?: string } } })[];
      const victim = tasks.find((x) => x.Status?.State === 'running' && x.Status.ContainerStatus?.ContainerID);
      const host = victim && nodes.find((n) => n.ID === victim.NodeID)?.Description?.Hostname;
      const node = host ? cluster.node(host) : undefined;
      if (!victim || !node) throw new Error(`service ${service.Spec.Name} has no running task to kill`);
      await innerEngine(node.ip, ENGINE_TIMEOUT_MS).getContainer(victim.Status!.ContainerStatus!.ContainerID!).remove({ force: true });
      return { killedTask: victim.ID, firedAt, manager };
    }

    const node = nodes.find((n) => n.Description?.Hostname === fault.node);
    if (!node) throw new Error(`${fault.node} is not in the swarm`);
    if (fault.kind === 'drain' || fault.kind === 'activate') {
      const full = (await manager.getNode(node.ID).inspect()) as { Version: { Index: number }; Spec: Record<string, unknown> };
      const availability = fault.kind === 'drain' ? 'drain' : 'active';
      await manager.getNode(node.ID).update({ _query: { version: full.Version.Index }, _body: { ...full.Spec, Availability: availability } } as object);
      return { firedAt, manager };
    }
    // stopEngine: freeze the node's dockerd (its containers keep running, as with a hung engine), thaw it later.
    const container = cluster.container(fault.node);
    if (!container) throw new Error(`the cluster has no node ${fault.node}`);
    const inNode = (command: string) =>
      runStep(container, command, EXEC_TIMEOUT_S, { node: fault.node, deadlineMs: this.opts.execDeadlineMs }).catch((err: unknown) => {
        throw new Error(`the class fault could not finish on ${fault.node}: ${errorMessage(err)}`);
      });
    const stop = await inNode('pkill -STOP -x dockerd');
    if (stop.exitCode !== 0) throw new Error(`could not stop the engine of ${fault.node}: ${stop.output.trim() || `exit ${stop.exitCode}`}`);
    const key = container.id;
    const thaw = () => inNode('pkill -CONT -x dockerd');
    const timer = setTimeout(() => {
      this.frozen.delete(key);
      void thaw().catch((err) => this.opts.log.warn('could not restart a frozen engine', { error: errorMessage(err) }));
    }, fault.seconds * 1000);
    timer.unref();
    this.frozen.set(key, { timer, thaw });
    return { firedAt, manager };
  }

  /** Poll the manager until the swarm healed, or give up after the timeout. */
  private async watch(
    fault: ClassFault,
    acted: { killedTask?: string; firedAt: number; manager: Docker },
    current: () => boolean,
    update: (patch: Partial<FaultStatus>) => void,
  ): Promise<void> {
    const deadline = acted.firedAt + (this.opts.healTimeoutMs ?? 180_000);
    let sawDown = false;
    let last = '';
    while (current()) {
      try {
        const m = acted.manager;
        const [services, tasks, nodes] = await Promise.all([m.listServices(), m.listTasks(), m.listNodes()]);
        const read: SwarmRead = { services: services as unknown as ServiceJson[], tasks: tasks as unknown as TaskJson[], nodes: nodes as unknown as SwarmNodeJson[] };
        const v = judge(fault, read, { killedTask: acted.killedTask, sawDown });
        sawDown = v.sawDown;
        if (v.healed) {
          const ms = Date.now() - acted.firedAt;
          update({ state: 'recovered', message: v.message, recoveredMs: ms });
          return;
        }
        last = v.message;
      } catch (err) {
        last = `the manager does not answer: ${errorMessage(err)}`;
      }
      if (Date.now() > deadline) {
        update({ state: 'unrecovered', message: last });
        return;
      }
      update({ message: last });
      await new Promise((r) => setTimeout(r, this.opts.pollMs ?? 2000).unref());
    }
  }
}

/** By service name, else by image (`flask_app` matches `flask_app:3.0@sha256:...`). */
function findService(services: ServiceJson[], text: string): ServiceJson | undefined {
  const image = (s: ServiceJson) => (s.Spec.TaskTemplate?.ContainerSpec?.Image ?? '').split('@')[0]!;
  return (
    services.find((s) => s.Spec.Name === text) ??
    services.find((s) => image(s) === text || image(s).split(':')[0] === text) ??
    services.find((s) => s.Spec.Name.endsWith(`_${text}`))
  );
}
