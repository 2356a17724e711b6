/**
 * Service checks: find a service (by name, or by image + port for services
 * created without --name), compare its spec, count its tasks, and tell what
 * is expected and what is there.
 */
import type { CheckParams, ServiceMatch } from '@contract/checks.ts';
import type { ClusterView, PortJson, ServiceJson, SwarmNodeJson, TaskJson } from './engine.ts';
import { type CheckContext, type Outcome, fail, pass, NO_SWARM } from './outcome.ts';
import { hostModeCommand } from '@contract/docker.ts';
import { count, displayImage, list, normalizeConstraint, normalizeImage, q } from './words.ts';

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
export function findService(services: ServiceJson[], match: ServiceMatch, expectedImage?: string, create?: string, ipvs = true): Lookup {
  const createIt = create ? `: create it with \`${create}\`` : '';
  if ('name' in match) {
    const found = services.find((s) => s.Spec.Name === match.name);
    if (found) return { service: found };
    const sameImage = expectedImage ? services.filter((s) => normalizeImage(serviceImage(s) ?? '') === normalizeImage(expectedImage)) : [];
    if (sameImage.length) {
      const verb = sameImage.length === 1 ? 'runs' : 'run';
      const rm = `\`docker service rm ${sameImage.map((s) => s.Spec.Name).join(' ')}\``;
      return {
        missing: `there is no service named ${q(match.name)}; ${list(sameImage.map((s) => q(s.Spec.Name)), 'none', 4)} ${verb} ${displayImage(expectedImage)} under another name: remove it with ${rm} and create it again with --name ${match.name}${create ? `: \`${create}\`` : ''}`,
      };
    }
    return { missing: `there is no service named ${q(match.name)} (${services.length ? `services: ${list(services.map(serviceSummary), 'none', 4)}` : 'no services yet'})${createIt}` };
  }
  const image = normalizeImage(match.image);
  const candidates = services.filter((s) => normalizeImage(serviceImage(s) ?? '') === image);
  const byPublished = candidates.filter((s) => servicePorts(s).some((p) => p.PublishedPort === match.port));
  const byTarget = candidates.filter((s) => servicePorts(s).some((p) => p.TargetPort === match.port));
  if (byPublished.length > 1) {
    // Two services of the same app on the same port (e.g. the lesson's command and the host note's both run): keep one.
    const newest = [...byPublished].sort((a, b) => (b.CreatedAt ?? '').localeCompare(a.CreatedAt ?? ''))[0]!;
    return {
      missing: `${count(byPublished.length, 'service')} run ${displayImage(match.image)} on port ${match.port} (${list(byPublished.map((s) => q(s.Spec.Name)))}); the lesson wants one: remove the extra one with \`docker service rm ${newest.Spec.Name}\``,
    };
  }
  const found = byPublished[0] ?? byTarget[0];
  if (found) return { service: found };
  if (candidates.length) {
    const c = candidates[0]!;
    const ports = servicePorts(c);
    const publish = publishCommand(c.Spec.Name, { published: match.port, target: match.port, hostMode: !ipvs, replacing: ports[0]?.TargetPort });
    return { missing: `service ${q(c.Spec.Name)} runs ${displayImage(match.image)} but does not publish port ${match.port} (${ports.length ? `it publishes ${portsText(ports)}` : 'it publishes no ports'}): publish it with \`${publish}\`` };
  }
  // Another image on that port, or the same image with another tag: name it.
  const repo = (ref: string) => ref.slice(0, ref.lastIndexOf(':'));
  const other = services.find((s) => servicePorts(s).some((p) => p.PublishedPort === match.port || p.TargetPort === match.port)) ??
    services.find((s) => repo(normalizeImage(serviceImage(s) ?? '')) === repo(image));
  if (other) {
    return {
      missing: `service ${q(other.Spec.Name)} runs ${displayImage(serviceImage(other))}, not ${displayImage(match.image)}: give it the lesson's image with \`docker service update --image ${displayImage(match.image)} ${other.Spec.Name}\``,
    };
  }
  return {
    missing: `no service runs ${displayImage(match.image)} with port ${match.port} (${services.length ? `services: ${list(services.map(serviceSummary), 'none', 4)}` : 'no services yet'})${createIt}`,
  };
}

function describeMatch(match: ServiceMatch): string {
  return 'name' in match ? `service ${q(match.name)}` : `the ${displayImage(match.image)} service on port ${match.port}`;
}

async function lookup(view: ClusterView, match: ServiceMatch, expectedImage?: string, create?: string): Promise<Lookup> {
  if (!(await view.swarmManager())) return { missing: `${describeMatch(match)} cannot exist yet: ${NO_SWARM}` };
  return findService(await view.services(), match, expectedImage, create, view.ipvs);
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

/** The command that moves a published port from the routing mesh to host mode, in one update. */
export const toHostMode = (name: string, port: number, target = port) => `\`${hostModeCommand(name, port, target)}\``;

/**
 * The update that makes a service publish `published`->`target`, first removing the port it
 * publishes on `replacing` (a target port) if any. Replacing the same target port in host mode is
 * the routing-mesh move, stated once in contract/docker.ts.
 */
function publishCommand(service: string, p: { published: number; target: number; hostMode: boolean; replacing?: number }): string {
  if (p.hostMode && p.replacing === p.target) return hostModeCommand(service, p.published, p.target);
  const rm = p.replacing === undefined ? '' : `--publish-rm ${p.replacing} `;
  return `docker service update ${rm}--publish-add ${p.hostMode ? 'mode=host,' : ''}target=${p.target},published=${p.published} ${service}`;
}

/** Why an ingress-published port fails on a host without IPVS, and the command that fixes it. */
export const ingressProblem = (s: ServiceJson, port: number, target = port) =>
  `your service ${q(s.Spec.Name)} publishes ${port} through the routing mesh, which this host lacks (no IPVS), so nothing answers on it: ` +
  `switch it to host mode with ${toHostMode(s.Spec.Name, port, target)} (or remove it with \`docker service rm ${s.Spec.Name}\` and publish with mode=host)`;

const vipNote = (s: ServiceJson) =>
  `This host has no IPVS, so the virtual IP of ${q(s.Spec.Name)} leads nowhere: other services cannot reach it by name. ` +
  `Switch it to DNS round robin: \`docker service update --endpoint-mode dnsrr ${s.Spec.Name}\``;

export function hasIngressPort(s: ServiceJson, port?: number): PortJson | undefined {
  return servicePorts(s).find((p) => (p.PublishMode ?? 'ingress') === 'ingress' && (port === undefined || p.PublishedPort === port || p.TargetPort === port));
}

export function usesVip(s: ServiceJson): boolean {
  const attached = s.Spec.TaskTemplate?.Networks ?? s.Spec.Networks ?? [];
  return (s.Spec.EndpointSpec?.Mode ?? 'vip') === 'vip' && attached.length > 0;
}

type MountJson = NonNullable<NonNullable<NonNullable<ServiceJson['Spec']['TaskTemplate']>['ContainerSpec']>['Mounts']>[number];
type WantedMount = NonNullable<CheckParams<'service'>['mounts']>[number];

/** What is wrong with a service's mounts (the file mounted onto its folder, another source path, none), and the update that fixes it. */
function mountProblem(name: string, raw: string, have: MountJson[], want: WantedMount): string {
  const add = `--mount-add type=${want.type}${want.source ? `,src=${want.source}` : ''},dst=${want.target}${want.readOnly ? ',readonly' : ''}`;
  const sameSource = want.source ? have.find((m) => m.Source === want.source) : undefined;
  const sameTarget = have.find((m) => m.Target === want.target);
  const fix = (rm?: string) => `\`docker service update ${rm ? `--mount-rm ${rm} ` : ''}${add} ${raw}\``;
  if (sameSource && want.target.startsWith(`${sameSource.Target}/`)) {
    return `service ${name} mounts ${want.source} onto the folder ${sameSource.Target}, not onto the file ${want.target} inside it: ${fix(sameSource.Target)}`;
  }
  if (sameTarget) {
    return `service ${name} mounts ${sameTarget.Source ?? 'nothing'} at ${want.target} (expected ${want.source ?? 'a'} ${want.type} mount${want.source ? '' : ''}): ${fix(want.target)}`;
  }
  const shown = have.map((m) => `${m.Type} ${m.Source ?? ''} -> ${m.Target}`.replace('  ', ' '));
  return `service ${name} has no ${want.type} mount${want.source ? ` of ${want.source}` : ''} at ${want.target} (mounts: ${list(shown)}): ${fix(sameSource?.Target)}`;
}

export async function checkService(p: CheckParams<'service'>, view: ClusterView): Promise<Outcome> {
  const found = await lookup(view, p.match, p.image, p.create);
  if ('missing' in found) return fail(found.missing);
  const s = found.service;
  const name = q(s.Spec.Name);
  const raw = s.Spec.Name;
  const problems: string[] = [];
  const notes: string[] = [];
  const container = s.Spec.TaskTemplate?.ContainerSpec ?? {};

  if (p.image && normalizeImage(container.Image ?? '') !== normalizeImage(p.image)) {
    problems.push(`service ${name} runs ${displayImage(container.Image)} (expected ${displayImage(p.image)}): \`docker service update --image ${displayImage(p.image)} ${raw}\``);
  }
  if (p.replicas !== undefined) {
    const replicas = s.Spec.Mode?.Replicated?.Replicas;
    if (replicas === undefined) problems.push(`service ${name} runs in global mode, one task per node (expected ${count(p.replicas, 'replica')})`);
    else if (replicas !== p.replicas) problems.push(`service ${name} is set to ${count(replicas, 'replica')} (expected ${p.replicas}): \`docker service scale ${raw}=${p.replicas}\``);
  }
  const portProblems = problems.length;
  if (p.ports) {
    const have = servicePorts(s);
    for (const want of p.ports) {
      const ok = have.some(
        (h) => h.PublishedPort === want.published && h.TargetPort === want.target && (!want.protocol || (h.Protocol ?? 'tcp') === want.protocol) && (!want.mode || (h.PublishMode ?? 'ingress') === want.mode),
      );
      if (!ok) {
        const wanted = `${want.published}->${want.target}${want.mode === 'host' ? ' in host mode' : ''}`;
        const hostMode = want.mode === 'host' || (!want.mode && !view.ipvs);
        const same = have.find((h) => h.TargetPort === want.target);
        const fix = publishCommand(raw, { published: want.published, target: want.target, hostMode, replacing: same?.TargetPort });
        problems.push(`service ${name} ${have.length ? `publishes ${portsText(have)}` : 'publishes no ports'} (expected ${wanted}): \`${fix}\``);
      }
    }
  }
  if (!view.ipvs && (p.ports || 'port' in p.match)) {
    // No routing mesh here: an ingress port of this service never answers, so it is not done.
    const port = p.ports?.[0]?.published ?? ('port' in p.match ? p.match.port : undefined);
    const mesh = hasIngressPort(s, port);
    // (A wrong port already has its own fix, which publishes in host mode.)
    if (mesh && problems.length === portProblems) problems.unshift(ingressProblem(s, mesh.PublishedPort ?? port!, mesh.TargetPort ?? port));
  }
  if (p.env) {
    const env = new Map((container.Env ?? []).map((e) => [e.slice(0, e.indexOf('=') < 0 ? e.length : e.indexOf('=')), e.includes('=') ? e.slice(e.indexOf('=') + 1) : '']));
    const missing = Object.keys(p.env).filter((k) => !env.has(k));
    const wrong = Object.entries(p.env).filter(([k, v]) => env.has(k) && env.get(k) !== v);
    const add = [...missing, ...wrong.map(([k]) => k)].map((k) => `--env-add ${k}=${p.env![k]}`).join(' ');
    const fix = add ? `: \`docker service update ${add} ${raw}\`` : '';
    if (missing.length) {
      problems.push(`service ${name} has no ${missing.length === 1 ? 'variable' : 'variables'} ${list(missing)} (expected ${list(missing.map((k) => `${k}=${p.env![k]}`))})${fix}`);
    } else if (wrong.length) {
      problems.push(`service ${name} has ${list(wrong.map(([k, v]) => `${k}=${env.get(k)} (expected ${k}=${v})`))}${fix}`);
    }
  }
  if (p.mounts) {
    const have = container.Mounts ?? [];
    for (const want of p.mounts) {
      const ok = have.some(
        (m) => (m.Type ?? 'volume') === want.type && m.Target === want.target && (want.source === undefined || m.Source === want.source) && (want.readOnly === undefined || !!m.ReadOnly === want.readOnly),
      );
      if (!ok) problems.push(mountProblem(name, raw, have, want));
    }
  }
  if (p.networks) {
    const attached = await attachedNetworks(s, view);
    const missing = p.networks.filter((n) => !attached.includes(n));
    const manager = await view.swarmManager();
    const local = new Set(((manager ? await view.networks(manager) : null) ?? []).filter((n) => n.Scope === 'local').map((n) => n.Name));
    for (const n of missing) {
      const fix = local.has(n)
        ? `network ${q(n)} is a ${'bridge'} network of one node, which services cannot join: remove it with \`docker network rm ${n}\`, then \`docker network create --driver=overlay ${n}\` and \`docker service update --network-add ${n} ${raw}\``
        : `attach it with \`docker service update --network-add ${n} ${raw}\``;
      problems.push(`service ${name} is not attached to network ${q(n)} (attached: ${list(attached.map(q))}): ${fix}`);
    }
    if (!view.ipvs && 'name' in p.match && usesVip(s)) notes.push(vipNote(s));
  }
  if (p.constraints) {
    const have = s.Spec.TaskTemplate?.Placement?.Constraints ?? [];
    for (const want of p.constraints) {
      if (!have.some((c) => normalizeConstraint(c) === normalizeConstraint(want))) {
        const rm = have.map((c) => `--constraint-rm ${normalizeConstraint(c)} `).join('');
        problems.push(`service ${name} has no placement constraint ${want} (constraints: ${list(have)}): \`docker service update ${rm}--constraint-add ${normalizeConstraint(want)} ${raw}\``);
      }
    }
  }
  if (p.endpointMode) {
    const mode = s.Spec.EndpointSpec?.Mode ?? 'vip';
    if (mode !== p.endpointMode) problems.push(`service ${name} uses endpoint mode ${mode} (expected ${p.endpointMode}): \`docker service update --endpoint-mode ${p.endpointMode} ${raw}\``);
    if (!view.ipvs && mode === 'vip') notes.push(vipNote(s));
  }
  if (problems.length) return fail(problems.join('; '), notes);

  if (p.running !== undefined) {
    const tasks = await view.tasks();
    const running = currentTasks(tasks, s.ID).filter((t) => t.Status?.State === 'running').length;
    if (running < p.running) {
      // A node left drained (lesson 7) keeps replicas pending: say how to bring it back.
      const drained = (await view.swarmNodes()).filter((n) => n.Status?.State === 'ready' && (n.Spec?.Availability ?? 'active') !== 'active');
      const back = drained.length
        ? `; ${list(drained.map((n) => q(n.Description?.Hostname ?? n.ID.slice(0, 12))))} ${drained.length === 1 ? 'is' : 'are'} drained: ${list(drained.map((n) => `\`docker node update --availability active ${n.Description?.Hostname ?? n.ID}\``))}`
        : '';
      return fail(`service ${name}: ${describeRunning(s, tasks, p.running)}${back}`, notes);
    }
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

export async function checkSpread(p: CheckParams<'spread'>, view: ClusterView): Promise<Outcome> {
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
export function findReplacement(tasks: TaskJson[], nodes: SwarmNodeJson[], serviceId: string, since = 0): { replaced?: TaskJson; replacement?: TaskJson } {
  const away = new Set(nodes.filter((n) => n.Spec?.Availability === 'drain' || n.Status?.State === 'down').map((n) => n.ID));
  const mine = tasks.filter((t) => t.ServiceID === serviceId);
  const group = (t: TaskJson) => (t.Slot ? `slot:${t.Slot}` : `node:${t.NodeID}`);
  let best: { replaced?: TaskJson; replacement?: TaskJson } = {};
  for (const replacement of mine.filter((t) => t.DesiredState === 'running')) {
    const older = mine.filter(
      (t) => t !== replacement && group(t) === group(replacement) && t.DesiredState !== 'running' && (t.CreatedAt ?? '') <= (replacement.CreatedAt ?? ''),
    );
    const replaced = older.find(
      (t) => endedAt(t) >= since && (REPLACED_AFTER.has(t.Status?.State ?? '') || (t.Status?.State === 'shutdown' && away.has(t.NodeID ?? ''))),
    );
    if (!replaced) continue;
    if (replacement.Status?.State === 'running') return { replaced, replacement };
    best = { replaced, replacement };
  }
  return best;
}

/** When a task reached its last state (ms), 0 when unknown. */
const endedAt = (t: TaskJson) => Date.parse(t.Status?.Timestamp ?? '') || 0;

export async function checkRescheduled(p: CheckParams<'rescheduled'>, view: ClusterView, ctx: CheckContext = {}): Promise<Outcome> {
  const found = await lookup(view, p.service.match);
  if ('missing' in found) return fail(found.missing);
  const s = found.service;
  const since = ctx.since ?? 0;
  const [tasks, nodes] = await Promise.all([view.tasks(), view.swarmNodes()]);
  const { replaced, replacement } = findReplacement(tasks, nodes, s.ID, since);
  const name = q(s.Spec.Name);
  if (replaced && replacement?.Status?.State === 'running') {
    const host = hostnames(nodes).get(replacement.NodeID ?? '') ?? '?';
    return pass(`swarm replaced a ${replaced.Status?.State} task of ${name}; the new task runs on ${host}`);
  }
  if (replaced && replacement) {
    const reason = taskReason(replacement);
    return fail(`swarm replaced a ${replaced.Status?.State} task of ${name}, but the new task is ${replacement.Status?.State}${reason ? `: ${reason}` : ''}`);
  }
  const current = currentTasks(tasks, s.ID).filter((t) => t.Status?.State === 'running');
  const names = hostnames(nodes);
  const on = names.get(current.find((t) => names.get(t.NodeID ?? '') !== 'manager')?.NodeID ?? current[0]?.NodeID ?? '');
  const breakIt = on ? `: break one, on ${on}: \`docker rm -f $(docker ps -q --filter label=com.docker.swarm.service.name=${s.Spec.Name})\`` : '';
  // Name what happened instead: an update that restarted every task, or another service's task that died.
  const mine = tasks.filter((t) => t.ServiceID === s.ID && t.DesiredState !== 'running' && endedAt(t) >= since);
  if (mine.some((t) => t.Status?.State === 'shutdown' && t.DesiredState === 'shutdown')) {
    return fail(`the tasks of ${name} were replaced by an update (such as \`docker service update --force\`), which retires tasks on purpose; swarm did not have to heal anything${breakIt}`);
  }
  const services = await view.services();
  const other = services.find((o) => o.ID !== s.ID && findReplacement(tasks, nodes, o.ID, since).replaced);
  if (other) return fail(`a task of ${q(other.Spec.Name)} was replaced, not one of ${name}${breakIt}`);
  return fail(`no task of service ${name} has been replaced since you began this lesson (${count(current.length, 'task')} running, none died or was moved off a node)${breakIt}`);
}

// ---------------------------------------------------------------- stack

export const STACK_LABEL = 'com.docker.stack.namespace';

export async function checkStack(p: CheckParams<'stack'>, view: ClusterView): Promise<Outcome> {
  if (!(await view.swarmManager())) return fail(`stack ${q(p.name)} cannot be deployed yet: ${NO_SWARM}`);
  const services = await view.services();
  const stacks = [...new Set(services.map((s) => s.Spec.Labels?.[STACK_LABEL]).filter((x): x is string => !!x))].sort();
  const mine = services.filter((s) => s.Spec.Labels?.[STACK_LABEL] === p.name);
  const deploy = p.file ? `: deploy it on the manager with \`docker stack deploy -c ${p.file} ${p.name}\`` : '';
  if (!mine.length) return fail(`stack ${q(p.name)} is not deployed (${stacks.length ? `stacks: ${list(stacks.map(q))}` : 'no stacks yet'})${deploy}`);
  const have = mine.map((s) => s.Spec.Name.slice(p.name.length + 1));
  const missing = p.services.filter((n) => !have.includes(n));
  if (missing.length) return fail(`stack ${q(p.name)} has no ${missing.length === 1 ? 'service' : 'services'} ${list(missing.map(q))} (it has: ${list(have.map(q))})`);
  return pass(`stack ${q(p.name)} runs ${list(have.map(q))}`);
}


