/**
 * Has a learner's swarm healed from a class fault? Pure: judged from one read of
 * the manager (services, tasks, nodes), so unit specs can feed it JSON.
 */
import type { ServiceJson, SwarmNodeJson, TaskJson } from '../checks/engine.ts';
import type { ClassFault } from '@contract/workshop.ts';

export interface SwarmRead {
  services: ServiceJson[];
  tasks: TaskJson[];
  nodes: SwarmNodeJson[];
}

export interface Verdict {
  healed: boolean;
  message: string;
  /** stopEngine: the manager has marked the node down (seen once, remembered by the caller). */
  sawDown: boolean;
}

const hostname = (n: SwarmNodeJson) => n.Description?.Hostname ?? n.ID.slice(0, 12);

/** Replicated services short of running tasks, in words ("web: 2/3 running; pending: no suitable node ..."). */
export function shortServices(read: SwarmRead): string[] {
  const out: string[] = [];
  for (const s of read.services) {
    const want = s.Spec.Mode?.Replicated?.Replicas;
    if (want === undefined) continue; // global services follow the nodes
    const current = read.tasks.filter((t) => t.ServiceID === s.ID && t.DesiredState === 'running');
    const running = current.filter((t) => t.Status?.State === 'running').length;
    if (running >= want) continue;
    const stuck = current.find((t) => t.Status?.State !== 'running');
    const why = stuck ? (stuck.Status?.Err || stuck.Status?.Message || stuck.Status?.State || '').trim() : '';
    out.push(`${s.Spec.Name}: ${running}/${want} running${why ? `; ${stuck?.Status?.State}: ${why}` : ''}`);
  }
  return out;
}

export function judge(fault: ClassFault, read: SwarmRead, ctx: { killedTask?: string; sawDown: boolean }): Verdict {
  const short = shortServices(read);
  const converged = (done: string): Verdict =>
    short.length ? { healed: false, message: short.join('; '), sawDown: ctx.sawDown } : { healed: true, message: done, sawDown: ctx.sawDown };

  if (fault.kind === 'killTask') {
    const killed = read.tasks.find((t) => t.ID === ctx.killedTask);
    if (killed && killed.DesiredState === 'running') return { healed: false, message: 'the manager has not noticed the dead task yet', sawDown: ctx.sawDown };
    return converged('a new task replaced the killed one');
  }

  const node = read.nodes.find((n) => hostname(n) === fault.node);
  if (!node) return { healed: false, message: `${fault.node} is not in the swarm`, sawDown: ctx.sawDown };
  if (fault.kind === 'activate') {
    const now = node.Spec?.Availability ?? 'active';
    return now === 'active' ? { healed: true, message: `${fault.node} is active`, sawDown: ctx.sawDown } : { healed: false, message: `${fault.node} is ${now}`, sawDown: ctx.sawDown };
  }
  const sawDown = ctx.sawDown || node.Status?.State === 'down';
  if (fault.kind === 'stopEngine' && !sawDown) return { healed: false, message: `the manager has not marked ${fault.node} down yet`, sawDown };
  const replicated = new Set(read.services.filter((s) => s.Spec.Mode?.Replicated).map((s) => s.ID));
  const left = read.tasks.filter((t) => t.NodeID === node.ID && t.DesiredState === 'running' && replicated.has(t.ServiceID));
  if (left.length) return { healed: false, message: `${left.length} task${left.length === 1 ? '' : 's'} still placed on ${fault.node}`, sawDown };
  const elsewhere = read.tasks.filter((t) => t.DesiredState === 'running' && t.Status?.State === 'running' && replicated.has(t.ServiceID)).length;
  return { ...converged(`every replica runs on the other nodes (${elsewhere} task${elsewhere === 1 ? '' : 's'})`), sawDown };
}

export function faultLabel(f: ClassFault): string {
  switch (f.kind) {
    case 'drain':
      return `drain ${f.node}`;
    case 'stopEngine':
      return `stop ${f.node}'s engine for ${f.seconds} s`;
    case 'killTask':
      return `kill a task of ${f.service}`;
    case 'activate':
      return `make ${f.node} active`;
  }
}
