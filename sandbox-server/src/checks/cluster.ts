/** Swarm membership checks: a node's swarm state, the swarm's members, networks. */
import type { CheckParams } from '@contract/checks.ts';
import type { ClusterView } from './engine.ts';
import { type Outcome, fail, pass, NO_SWARM } from './outcome.ts';
import { count, list, q } from './words.ts';

export async function checkSwarm(p: CheckParams<'swarm'>, view: ClusterView): Promise<Outcome> {
  const info = await view.info(p.node);
  if (!info) return fail(`the Docker engine of ${q(p.node)} does not answer (is the node restarting?)`);
  const state = info.Swarm?.LocalNodeState ?? 'inactive';
  const role = info.Swarm?.ControlAvailable ? 'manager' : 'worker';
  if (p.state === 'inactive') {
    return state === 'inactive' ? pass(`${q(p.node)} is not in a swarm`) : fail(`${q(p.node)} is still in a swarm (${state}, as a ${role}): leave it, on ${p.node}: \`docker swarm leave --force\``);
  }
  if (state !== 'active') {
    const elsewhere = (await view.swarmManager()) ?? undefined;
    const what = state === 'pending' ? 'is still joining a swarm' : state === 'inactive' ? 'is not part of a swarm (swarm: inactive)' : `is in swarm state ${state}${info.Swarm?.Error ? `: ${info.Swarm.Error}` : ''}`;
    if (elsewhere && elsewhere !== p.node) {
      return fail(`${q(p.node)} ${what}; ${q(elsewhere)} started a swarm instead, but the swarm should start on ${q(p.node)}: leave it, on ${elsewhere}: \`docker swarm leave --force\`, then on ${p.node}: \`docker swarm init\``);
    }
    const next = state === 'inactive' ? `: on ${p.node}: \`docker swarm init\`` : '';
    return fail(`${q(p.node)} ${what}${next}`);
  }
  if (p.role && role !== p.role) return fail(`${q(p.node)} is in the swarm as a ${role} (expected a ${p.role})`);
  return pass(`${q(p.node)} is in the swarm as a ${role}`);
}

export async function checkNodes(p: CheckParams<'nodes'>, view: ClusterView): Promise<Outcome> {
  if (!(await view.swarmManager())) return fail(NO_SWARM);
  const nodes = await view.swarmNodes();
  const name = (n: (typeof nodes)[number]) => n.Description?.Hostname ?? n.ID.slice(0, 12);
  const ready = nodes.filter((n) => n.Status?.State === 'ready').sort((a, b) => name(a).localeCompare(name(b)));
  const managers = ready.filter((n) => n.Spec?.Role === 'manager');
  const workers = ready.filter((n) => n.Spec?.Role !== 'manager');
  const down = nodes.filter((n) => n.Status?.State !== 'ready').map(name);
  const downText = down.length ? `; not ready: ${list(down)}` : '';
  const problems: string[] = [];
  if (p.count !== undefined && ready.length !== p.count) {
    problems.push(`the swarm has ${count(ready.length, 'ready node')} (${list(ready.map(name))}); expected ${p.count}`);
  }
  if (p.managers !== undefined && managers.length !== p.managers) {
    problems.push(`${count(managers.length, 'node is a manager', 'nodes are managers')} (${list(managers.map(name))}); expected ${p.managers}`);
  }
  if (p.workers !== undefined && workers.length !== p.workers) {
    problems.push(`${count(workers.length, 'node is a worker', 'nodes are workers')} (${list(workers.map(name))}); expected ${p.workers}`);
  }
  const drained = ready.filter((n) => (n.Spec?.Availability ?? 'active') !== 'active');
  if (p.active !== undefined && ready.length - drained.length !== p.active) {
    const back = drained.map((n) => `\`docker node update --availability active ${name(n)}\``);
    problems.push(`${count(ready.length - drained.length, 'node is', 'nodes are')} available to the scheduler; expected ${p.active}${drained.length ? ` (${list(drained.map((n) => `${q(name(n))} is ${n.Spec?.Availability}`))}): make ${drained.length === 1 ? 'it' : 'them'} active again with ${list(back)}` : ''}`);
  }
  // What to run next: promoted workers step down, missing workers join with the manager's token.
  const extraManagers = p.managers !== undefined && managers.length > p.managers ? managers.filter((n) => !n.ManagerStatus?.Leader).map(name) : [];
  if (extraManagers.length) problems.push(`turn ${list(extraManagers.map(q))} into ${extraManagers.length === 1 ? 'a worker' : 'workers'} with ${list(extraManagers.map((n) => `\`docker node demote ${n}\``))}`);
  else if (p.count !== undefined && ready.length < p.count) {
    const absent = view.nodeNames.filter((n) => !ready.some((r) => name(r) === n));
    if (absent.length) problems.push(`print the join command on the manager with \`docker swarm join-token worker\` and run it on ${list(absent.map(q))}`);
  }
  if (problems.length) return fail(problems.join('; ') + downText);
  return pass(`the swarm has ${count(managers.length, 'manager')} and ${count(workers.length, 'worker')}`);
}

/** Networks every engine has, or swarm makes by itself: not worth listing as the learner's. */
const BUILT_IN = new Set(['bridge', 'host', 'none', 'ingress', 'docker_gwbridge']);

export async function checkNetwork(p: CheckParams<'network'>, view: ClusterView): Promise<Outcome> {
  const node = (await view.swarmManager()) ?? 'manager';
  const networks = await view.networks(node);
  if (!networks) return fail(`the Docker engine of ${q(node)} does not answer (is the node restarting?)`);
  const named = networks.filter((n) => n.Name === p.name);
  const fits = named.find((n) => (!p.driver || n.Driver === p.driver) && (!p.scope || n.Scope === p.scope));
  if (fits) return pass(`network ${q(p.name)} exists (driver ${fits.Driver}, scope ${fits.Scope})`);
  if (named.length) {
    const n = named[0]!;
    const want = [p.driver && `driver ${p.driver}`, p.scope && `scope ${p.scope}`].filter(Boolean).join(', ');
    const create = `\`docker network create${p.driver ? ` --driver=${p.driver}` : ''} ${p.name}\``;
    return fail(`network ${q(p.name)} uses driver ${n.Driver}, scope ${n.Scope} (expected ${want}): remove it first with \`docker network rm ${p.name}\`, then create it again with ${create}`);
  }
  const own = networks.filter((n) => !BUILT_IN.has(n.Name)).map((n) => `${q(n.Name)} (${n.Driver})`);
  return fail(`there is no network ${q(p.name)} (${own.length ? `networks you created: ${list(own)}` : 'you have not created any network yet'}): create it with \`docker network create${p.driver ? ` --driver=${p.driver}` : ''} ${p.name}\``);
}
