/**
 * Service checks: find a service (by name, or by image + port for services
 * created without --name), compare its spec, count its tasks, and tell what
 * is expected and what is there.
 */
import type { RescheduledParams, ServiceMatch, ServiceParams, SpreadParams, StackParams } from './schema.js';
import type { ClusterView, PortJson, ServiceJson, SwarmNodeJson, TaskJson } from './engine.js';
import { type Outcome, fail, pass, NO_SWARM } from './outcome.js';
import { count, displayImage, list, normalizeConstraint, normalizeImage, q } from './words.js';

// ---------------------------------------------------------------- finding the service

export type Lookup = { service: ServiceJson } | { missing: string };

/** Published ports as the engine reports them (including ports it picked itself). */
export function servicePorts(s: ServiceJson): PortJson[] {
  return s.Endpoint?.Ports?.length ? s.Endpoint.Ports : s.Spec.EndpointSpec?.Ports ?? [];
}

export function serviceImage(s: ServiceJson): string | undefined {
  return s.Spec.TaskTemplate?.ContainerSpec?.Image;
}

const portText = (p: PortJson) => `${p.PublishedPort ?? '?'}->${p.TargetPort ?? '?'}${p.Protocol && p.Protocol !== 'tcp' ? `/${p.Protocol}` : ''}${p.PublishMode === 'host' ? ' (host mode)' : ''}`;
const portsText = (ports: PortJson[]) => list(ports.map(portText));

function serviceSummary(s: ServiceJson): string {
  return `${q(s.Spec.Name)} (${displayImage(serviceImage(s))})`;
}

/**
 * The service a check is about. By image + port: a service running that image
 * that publishes the port (as published port first, else as target port), so
 * `-p 5000` (random published port) is still found and then reported as wrong.
 */
export function findService(services: ServiceJson[], match: ServiceMatch, expectedImage?: string): Lookup {
  if ('name' in match) {
    const found = services.find((s) => s.Spec.Name === match.name);
    if (found) return { service: found };
    const sameImage = expectedImage ? services.filter((s) => normalizeImage(serviceImage(s) ?? '') === normalizeImage(expectedImage)) : [];
    if (sameImage.length) {
      const verb = sameImage.length === 1 ? 'runs' : 'run';
      return { missing: `there is no service named ${q(match.name)}; ${list(sameImage.map((s) => q(s.Spec.Name)), 'none', 4)} ${verb} ${displayImage(expectedImage)} under another name` };
    }
    return { missing: `there is no service named ${q(match.name)} (${services.length ? `services: ${list(services.map(serviceSummary), 'none', 4)}` : 'no services yet'})` };
  }
  const image = normalizeImage(match.image);
  const candidates = services.filter((s) => normalizeImage(serviceImage(s) ?? '') === image);
  const byPublished = candidates.filter((s) => servicePorts(s).some((p) => p.PublishedPort === match.port));
  const byTarget = candidates.filter((s) => servicePorts(s).some((p) => p.TargetPort === match.port));
  const found = byPublished[0] ?? byTarget[0];
  if (found) return { service: found };
  if (candidates.length) {
    const c = candidates[0]!;
    const ports = servicePorts(c);
    return { missing: `service ${q(c.Spec.Name)} runs ${displayImage(match.image)} but does not publish port ${match.port} (${ports.length ? `it publishes ${portsText(ports)}` : 'it publishes no ports'})` };
  }
  return {
    missing: `no service runs ${displayImage(match.image)} with port ${match.port} (${services.length ? `services: ${list(services.map(serviceSummary), 'none', 4)}` : 'no services yet'})`,
  };
}

function describeMatch(match: ServiceMatch): string {
  return 'name' in match ? `service ${q(match.name)}` : `the ${displayImage(match.image)} service on port ${match.port}`;
}

async function lookup(view: ClusterView, match: ServiceMatch, expectedImage?: string): Promise<Lookup> {
  if (!(await view.swarmManager())) return { missing: `${describeMatch(match)} cannot exist yet: ${NO_SWARM}` };
  return findService(await view.services(), match, expectedImage);
}

// ---------------------------------------------------------------- tasks


/** Tasks the orchestrator currently wants running (not the history). */
export function currentTasks(tasks: TaskJson[], serviceId: string): TaskJson[] {
  return tasks.filter((t) => t.ServiceID === serviceId && t.DesiredState === 'running');
}

function taskReason(t: TaskJson): string {
  const why = t.Status?.Err || t.Status?.Message || '';
  return why && why !== t.Status?.State ? why : '';
}

/** "2 of 3 replicas running; 1 pending: no suitable node (...)" */
export function describeRunning(s: ServiceJson, tasks: TaskJson[], expected: number): string {
  const current = currentTasks(tasks, s.ID);
  const running = current.filter((t) => t.Status?.State === 'running').length;
  const parts = [`${running} of ${count(expected, 'replica')} running`];
  const byState = new Map<string, TaskJson[]>();
  for (const t of current) {
    const state = t.Status?.State ?? 'unknown';
    if (state !== 'running') byState.set(state, [...(byState.get(state) ?? []), t]);
  }
  for (const [state, ts] of byState) {
    const reason = taskReason(ts[0]!);
    parts.push(`${ts.length} ${state}${reason ? `: ${reason}` : ''}`);
  }
  const failed = tasks
    .filter((t) => t.ServiceID === s.ID && t.DesiredState !== 'running' && ['failed', 'rejected'].includes(t.Status?.State ?? ''))
    .sort((a, b) => (b.Status?.Timestamp ?? '').localeCompare(a.Status?.Timestamp ?? ''))[0];
  if (failed && running < expected) parts.push(`last ${failed.Status?.State} task: ${taskReason(failed) || failed.Status?.State}`);
  return parts.join('; ');
}

// ---------------------------------------------------------------- service

const ingressNote = (s: ServiceJson, port: number) =>
  `This host has no IPVS, so the routing mesh does not answer here: ${q(s.Spec.Name)} publishes port ${port} in ingress mode and nothing will answer on it. ` +
  `Publish it in host mode instead: docker service update --publish-rm ${port} --publish-add mode=host,target=${port},published=${port} ${s.Spec.Name}`;

const vipNote = (s: ServiceJson) =>
  `This host has no IPVS, so the virtual IP of ${q(s.Spec.Name)} leads nowhere: other services cannot reach it by name. ` +
  `Switch it to DNS round robin: docker service update --endpoint-mode dnsrr ${s.Spec.Name}`;

export function hasIngressPort(s: ServiceJson, port?: number): PortJson | undefined {
  return servicePorts(s).find((p) => (p.PublishMode ?? 'ingress') === 'ingress' && (port === undefined || p.PublishedPort === port || p.TargetPort === port));
}

export function usesVip(s: ServiceJson): boolean {
  const attached = s.Spec.TaskTemplate?.Networks ?? s.Spec.Networks ?? [];
  return (s.Spec.EndpointSpec?.Mode ?? 'vip') === 'vip' && attached.length > 0;
}

export async function checkService(p: ServiceParams, view: ClusterView): Promise<Outcome> {
  const found = await lookup(view, p.match, p.image);
  if ('missing' in found) return fail(found.missing);
  const s = found.service;
  const name = q(s.Spec.Name);
  const problems: string[] = [];
  const notes: string[] = [];
  const container = s.Spec.TaskTemplate?.ContainerSpec ?? {};

  if (p.image && normalizeImage(container.Image ?? '') !== normalizeImage(p.image)) {
    problems.push(`service ${name} runs ${displayImage(container.Image)} (expected ${displayImage(p.image)})`);
  }
  if (p.replicas !== undefined) {
    const replicas = s.Spec.Mode?.Replicated?.Replicas;
    if (replicas === undefined) problems.push(`service ${name} runs in global mode, one task per node (expected ${count(p.replicas, 'replica')})`);
    else if (replicas !== p.replicas) problems.push(`service ${name} is set to ${count(replicas, 'replica')} (expected ${p.replicas})`);
  }
  if (p.ports) {
    const have = servicePorts(s);
    for (const want of p.ports) {
      const ok = have.some(
        (h) => h.PublishedPort === want.published && h.TargetPort === want.target && (!want.protocol || (h.Protocol ?? 'tcp') === want.protocol) && (!want.mode || (h.PublishMode ?? 'ingress') === want.mode),
      );
      if (!ok) {
        const wanted = `${want.published}->${want.target}${want.mode === 'host' ? ' in host mode' : ''}`;
        problems.push(`service ${name} ${have.length ? `publishes ${portsText(have)}` : 'publishes no ports'} (expected ${wanted})`);
      }
    }
  }
  if (p.ports || 'port' in p.match) {
    const port = p.ports?.[0]?.published ?? ('port' in p.match ? p.match.port : undefined);
    if (!view.ipvs && hasIngressPort(s, port)) notes.push(ingressNote(s, port ?? hasIngressPort(s)!.PublishedPort!));
  }
  if (p.env) {
    const env = new Map((container.Env ?? []).map((e) => [e.slice(0, e.indexOf('=') < 0 ? e.length : e.indexOf('=')), e.includes('=') ? e.slice(e.indexOf('=') + 1) : '']));
    const missing = Object.keys(p.env).filter((k) => !env.has(k));
    const wrong = Object.entries(p.env).filter(([k, v]) => env.has(k) && env.get(k) !== v);
    if (missing.length) {
      problems.push(`service ${name} has no ${missing.length === 1 ? 'variable' : 'variables'} ${list(missing)} (expected ${list(missing.map((k) => `${k}=${p.env![k]}`))})`);
    }
    for (const [k, v] of wrong) problems.push(`service ${name} has ${k}=${env.get(k)} (expected ${k}=${v})`);
  }
  if (p.mounts) {
    const have = container.Mounts ?? [];
    for (const want of p.mounts) {
      const ok = have.some(
        (m) => (m.Type ?? 'volume') === want.type && m.Target === want.target && (want.source === undefined || m.Source === want.source) && (want.readOnly === undefined || !!m.ReadOnly === want.readOnly),
      );
      if (!ok) {
        const shown = have.map((m) => `${m.Type} ${m.Source ?? ''} -> ${m.Target}`.replace('  ', ' '));
        problems.push(`service ${name} has no ${want.type} mount${want.source ? ` of ${want.source}` : ''} at ${want.target} (mounts: ${list(shown)})`);
      }
    }
  }
  if (p.networks) {
    const attached = await attachedNetworks(s, view);
    const missing = p.networks.filter((n) => !attached.includes(n));
    for (const n of missing) problems.push(`service ${name} is not attached to network ${q(n)} (attached: ${list(attached.map(q))})`);
    if (!view.ipvs && 'name' in p.match && usesVip(s)) notes.push(vipNote(s));
  }
  if (p.constraints) {
    const have = s.Spec.TaskTemplate?.Placement?.Constraints ?? [];
    for (const want of p.constraints) {
      if (!have.some((c) => normalizeConstraint(c) === normalizeConstraint(want))) {
        problems.push(`service ${name} has no placement constraint ${want} (constraints: ${list(have)})`);
      }
    }
  }
  if (p.endpointMode) {
    const mode = s.Spec.EndpointSpec?.Mode ?? 'vip';
    if (mode !== p.endpointMode) problems.push(`service ${name} uses endpoint mode ${mode} (expected ${p.endpointMode})`);
    if (!view.ipvs && mode === 'vip') notes.push(vipNote(s));
  }
  if (problems.length) return fail(problems.join('; '), notes);

  if (p.running !== undefined) {
    const tasks = await view.tasks();
    const running = currentTasks(tasks, s.ID).filter((t) => t.Status?.State === 'running').length;
    if (running < p.running) return fail(`service ${name}: ${describeRunning(s, tasks, p.running)}`, notes);
  }
  return pass(`service ${name} is as expected`, notes);
}

/** Names of the networks a service's tasks are attached to (the spec stores ids). */
async function attachedNetworks(s: ServiceJson, view: ClusterView): Promise<string[]> {
  const targets = (s.Spec.TaskTemplate?.Networks ?? s.Spec.Networks ?? []).map((n) => n.Target);
  if (!targets.length) return [];
  const manager = await view.swarmManager();
  const networks = (manager ? await view.networks(manager) : null) ?? [];
  return targets.map((t) => networks.find((n) => n.Id === t || n.Id.startsWith(t) || n.Name === t)?.Name ?? t);
}

// ---------------------------------------------------------------- spread

function hostnames(nodes: SwarmNodeJson[]): Map<string, string> {
  return new Map(nodes.map((n) => [n.ID, n.Description?.Hostname ?? n.ID.slice(0, 12)]));
}

export async function checkSpread(p: SpreadParams, view: ClusterView): Promise<Outcome> {
  const found = await lookup(view, p.service.match);
  if ('missing' in found) return fail(found.missing);
  const s = found.service;
  const [tasks, nodes] = await Promise.all([view.tasks(), view.swarmNodes()]);
  const names = hostnames(nodes);
  const running = currentTasks(tasks, s.ID).filter((t) => t.Status?.State === 'running');
  const on = [...new Set(running.map((t) => names.get(t.NodeID ?? '') ?? '?'))].sort();
  if (on.length >= p.minNodes) return pass(`service ${q(s.Spec.Name)} runs on ${list(on)}`);
  if (running.length < p.minNodes) {
    return fail(`service ${q(s.Spec.Name)} has ${count(running.length, 'running task')}${on.length ? ` (on ${list(on)})` : ''}; it needs tasks on at least ${count(p.minNodes, 'node')}`);
  }
  return fail(`the ${count(running.length, 'running task')} of service ${q(s.Spec.Name)} ${running.length === 1 ? 'is' : 'are all'} on ${list(on)}; expected at least ${count(p.minNodes, 'node')}`);
}

// ---------------------------------------------------------------- rescheduled

const REPLACED_AFTER = new Set(['failed', 'rejected', 'complete', 'orphaned', 'dead']);

/**
 * A slot (replicated) or node (global) holds a running task and an older one
 * the orchestrator gave up on: its container died (failed/complete/rejected),
 * or it was shut down on a node that is now drained or down. A rolling update
 * also shuts tasks down, but on a node that is still active, and scaling down
 * deletes tasks: neither counts.
 */
export function findReplacement(tasks: TaskJson[], nodes: SwarmNodeJson[], serviceId: string): { replaced?: TaskJson; replacement?: TaskJson } {
  const away = new Set(nodes.filter((n) => n.Spec?.Availability === 'drain' || n.Status?.State === 'down').map((n) => n.ID));
  const mine = tasks.filter((t) => t.ServiceID === serviceId);
  const group = (t: TaskJson) => (t.Slot ? `slot:${t.Slot}` : `node:${t.NodeID}`);
  let best: { replaced?: TaskJson; replacement?: TaskJson } = {};
  for (const replacement of mine.filter((t) => t.DesiredState === 'running')) {
    const older = mine.filter(
      (t) => t !== replacement && group(t) === group(replacement) && t.DesiredState !== 'running' && (t.CreatedAt ?? '') <= (replacement.CreatedAt ?? ''),
    );
    const replaced = older.find((t) => REPLACED_AFTER.has(t.Status?.State ?? '') || (t.Status?.State === 'shutdown' && away.has(t.NodeID ?? '')));
    if (!replaced) continue;
    if (replacement.Status?.State === 'running') return { replaced, replacement };
    best = { replaced, replacement };
  }
  return best;
}

export async function checkRescheduled(p: RescheduledParams, view: ClusterView): Promise<Outcome> {
  const found = await lookup(view, p.service.match);
  if ('missing' in found) return fail(found.missing);
  const s = found.service;
  const [tasks, nodes] = await Promise.all([view.tasks(), view.swarmNodes()]);
  const { replaced, replacement } = findReplacement(tasks, nodes, s.ID);
  const name = q(s.Spec.Name);
  if (replaced && replacement?.Status?.State === 'running') {
    const host = hostnames(nodes).get(replacement.NodeID ?? '') ?? '?';
    return pass(`swarm replaced a ${replaced.Status?.State} task of ${name}; the new task runs on ${host}`);
  }
  if (replaced && replacement) {
    const reason = taskReason(replacement);
    return fail(`swarm replaced a ${replaced.Status?.State} task of ${name}, but the new task is ${replacement.Status?.State}${reason ? `: ${reason}` : ''}`);
  }
  const running = currentTasks(tasks, s.ID).filter((t) => t.Status?.State === 'running').length;
  return fail(`no task of service ${name} has been replaced yet (${count(running, 'task')} running, none died or was moved off a node)`);
}

// ---------------------------------------------------------------- stack

export const STACK_LABEL = 'com.docker.stack.namespace';

export async function checkStack(p: StackParams, view: ClusterView): Promise<Outcome> {
  if (!(await view.swarmManager())) return fail(`stack ${q(p.name)} cannot be deployed yet: ${NO_SWARM}`);
  const services = await view.services();
  const stacks = [...new Set(services.map((s) => s.Spec.Labels?.[STACK_LABEL]).filter((x): x is string => !!x))].sort();
  const mine = services.filter((s) => s.Spec.Labels?.[STACK_LABEL] === p.name);
  if (!mine.length) return fail(`stack ${q(p.name)} is not deployed (${stacks.length ? `stacks: ${list(stacks.map(q))}` : 'no stacks yet'})`);
  const have = mine.map((s) => s.Spec.Name.slice(p.name.length + 1));
  const missing = p.services.filter((n) => !have.includes(n));
  if (missing.length) return fail(`stack ${q(p.name)} has no ${missing.length === 1 ? 'service' : 'services'} ${list(missing.map(q))} (it has: ${list(have.map(q))})`);
  return pass(`stack ${q(p.name)} runs ${list(have.map(q))}`);
}


