/**
 * Docker Engine API answers (nodes, services, tasks, containers) -> the compact cluster picture of
 * the protocol. No Node imports: the sandbox server runs it on what it reads from a manager, and
 * the stand-in `dockersamples/visualizer` page runs the same code in the browser on what its tiny
 * server reads from the mounted socket, so both draw the same swarm the same way.
 */
import type { ClusterState, NodeName, PublishedPortView, SwarmNodeView, SwarmServiceView, SwarmTaskView } from '../protocol.ts';
import { SWARM_TASK_ID_LABEL, hostModeCommand, shortImage } from '../docker.ts';
import { pullsOf } from './pulls.ts';

export { shortImage };

// ---------------------------------------------------------------- the API subset we read
export interface RawInfo {
  Name?: string;
  Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; NodeID?: string; Error?: string };
}
export interface RawNode {
  ID: string;
  Spec?: { Role?: string; Availability?: string };
  Description?: { Hostname?: string };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string } | null;
}
export interface RawPort {
  Protocol?: string;
  TargetPort?: number;
  PublishedPort?: number;
  PublishMode?: string;
}
export interface RawService {
  ID: string;
  CreatedAt?: string;
  Spec?: {
    Name?: string;
    Mode?: { Replicated?: { Replicas?: number }; Global?: object; ReplicatedJob?: object; GlobalJob?: object };
    TaskTemplate?: { ContainerSpec?: { Image?: string }; Placement?: { Constraints?: string[] } };
    EndpointSpec?: { Mode?: string; Ports?: RawPort[] };
  };
  Endpoint?: { Ports?: RawPort[] };
}
export interface RawTask {
  ID: string;
  ServiceID?: string;
  NodeID?: string;
  Slot?: number;
  DesiredState?: string;
  Spec?: { ContainerSpec?: { Image?: string } };
  Status?: { State?: string; Message?: string; Err?: string; PortStatus?: { Ports?: RawPort[] } };
}
export interface RawContainer {
  Id: string;
  Names?: string[];
  Labels?: Record<string, string>;
  Ports?: Array<{ IP?: string; PrivatePort?: number; PublicPort?: number; Type?: string }>;
}

/** Everything read in one refresh. `containers` is per learner node (the server reads every node). */
export interface RawCluster {
  /** Name of the node the swarm data was read from, null if none answered. */
  source: NodeName | null;
  info: RawInfo | null;
  nodes: RawNode[];
  services: RawService[];
  tasks: RawTask[];
  containers?: Partial<Record<NodeName, RawContainer[]>>;
}

export interface ModelOptions {
  /** Learner nodes by name with their address, to tie swarm nodes to terminal tabs. */
  learnerNodes?: Array<{ name: NodeName; ip: string }>;
  /** Whether the host routes the ingress mesh (it needs IPVS). */
  ipvs: boolean;
  /** Preview path for a node's TCP port, or null when there is no preview (the stand-in page). */
  previewUrl?: (node: NodeName, port: number) => string | null;
}

/** States in which a task is on its way to running or running: what the picture shows. */
const SHOWN_DESIRED = new Set(['running', 'ready']);

export function toClusterState(raw: RawCluster, opts: ModelOptions): ClusterState {
  const learner = opts.learnerNodes ?? [];
  const swarm = swarmOf(raw);
  const byAddr = new Map(learner.map((n) => [n.ip, n.name]));
  const byHost = new Map(learner.map((n) => [n.name as string, n.name]));

  const nodes: SwarmNodeView[] = swarm === 'active' ? raw.nodes.map((n) => nodeView(n, byAddr, byHost)) : [];
  const inSwarm = new Set(nodes.map((n) => n.node).filter(Boolean));
  const outside = learner.map((n) => n.name).filter((name) => !inSwarm.has(name));

  const serviceList = swarm === 'active' ? [...raw.services] : [];
  serviceList.sort((a, b) => (a.CreatedAt ?? '').localeCompare(b.CreatedAt ?? '') || a.ID.localeCompare(b.ID));
  const allTasks = swarm === 'active' ? raw.tasks : [];
  const tasks: SwarmTaskView[] = allTasks
    .filter((t) => SHOWN_DESIRED.has(t.DesiredState ?? '') && serviceList.some((s) => s.ID === t.ServiceID))
    .map(taskView)
    .sort((a, b) => a.serviceId.localeCompare(b.serviceId) || (a.slot ?? 0) - (b.slot ?? 0) || (a.nodeId ?? '').localeCompare(b.nodeId ?? '') || a.id.localeCompare(b.id));
  const services: SwarmServiceView[] = serviceList.map((s, order) => serviceView(s, order, tasks));

  const ports = portsOf(raw, { nodes, services, tasks, swarm }, opts);
  const pulling = pullsOf(nodes, tasks);
  return {
    swarm,
    source: raw.source,
    ...messageOf(raw, swarm),
    nodes: nodes.sort(compareNodes),
    outside,
    services,
    tasks,
    ports,
    ...(pulling.length ? { pulling } : {}),
  };
}

function swarmOf(raw: RawCluster): ClusterState['swarm'] {
  if (!raw.info) return 'unreachable';
  const state = raw.info.Swarm?.LocalNodeState ?? 'inactive';
  if (state === 'active' && !raw.info.Swarm?.ControlAvailable) return 'active'; // a worker: nodes/services are empty
  return (['inactive', 'pending', 'active', 'locked', 'error'] as const).find((s) => s === state) ?? 'error';
}

function messageOf(raw: RawCluster, swarm: ClusterState['swarm']): { message?: string } {
  if (swarm === 'unreachable') return { message: 'The Docker Engine of the nodes does not answer right now.' };
  if (swarm === 'inactive') return { message: 'No swarm yet: run `docker swarm init` on the manager.' };
  if (swarm === 'locked') return { message: 'The swarm is locked: unlock it with `docker swarm unlock`.' };
  if (swarm === 'error') return { message: `The swarm reports an error: ${raw.info?.Swarm?.Error ?? 'unknown'}` };
  if (swarm === 'pending') return { message: 'The node is joining a swarm…' };
  if (!raw.info?.Swarm?.ControlAvailable) {
    return { message: 'This engine is a swarm worker: only a manager knows the whole swarm.' };
  }
  return {};
}

function nodeView(n: RawNode, byAddr: Map<string, NodeName>, byHost: Map<string, NodeName>): SwarmNodeView {
  const hostname = n.Description?.Hostname ?? n.ID.slice(0, 12);
  const addr = n.Status?.Addr;
  const node = (addr && byAddr.get(addr)) || byHost.get(hostname);
  return {
    id: n.ID,
    hostname,
    ...(node ? { node } : {}),
    role: n.Spec?.Role === 'manager' ? 'manager' : 'worker',
    status: n.Status?.State ?? 'unknown',
    availability: n.Spec?.Availability ?? 'active',
    leader: n.ManagerStatus?.Leader === true,
    ...(addr ? { addr } : {}),
  };
}

/** Managers first (the leader first of all), then by hostname with numbers in order (worker-2 < worker-10). */
export function compareNodes(a: SwarmNodeView, b: SwarmNodeView): number {
  const rank = (n: SwarmNodeView) => (n.leader ? 0 : n.role === 'manager' ? 1 : 2);
  return rank(a) - rank(b) || a.hostname.localeCompare(b.hostname, 'en', { numeric: true }) || a.id.localeCompare(b.id);
}

function serviceView(s: RawService, order: number, tasks: SwarmTaskView[]): SwarmServiceView {
  const mode = s.Spec?.Mode ?? {};
  const kind: SwarmServiceView['mode'] = mode.Global ? 'global' : mode.ReplicatedJob ? 'replicated-job' : mode.GlobalJob ? 'global-job' : 'replicated';
  const ports = (s.Endpoint?.Ports?.length ? s.Endpoint.Ports : (s.Spec?.EndpointSpec?.Ports ?? [])).map(portView).filter((p) => p !== null);
  return {
    id: s.ID,
    name: s.Spec?.Name ?? s.ID.slice(0, 12),
    image: shortImage(s.Spec?.TaskTemplate?.ContainerSpec?.Image ?? ''),
    mode: kind,
    replicas: kind === 'replicated' || kind === 'replicated-job' ? (mode.Replicated?.Replicas ?? null) : null,
    running: tasks.filter((t) => t.serviceId === s.ID && t.state === 'running').length,
    endpointMode: s.Spec?.EndpointSpec?.Mode === 'dnsrr' ? 'dnsrr' : 'vip',
    ports,
    constraints: s.Spec?.TaskTemplate?.Placement?.Constraints ?? [],
    order,
  };
}

function portView(p: RawPort): SwarmServiceView['ports'][number] | null {
  if (!p.PublishedPort || !p.TargetPort) return null;
  const protocol = p.Protocol === 'udp' ? 'udp' : p.Protocol === 'sctp' ? 'sctp' : 'tcp';
  return { published: p.PublishedPort, target: p.TargetPort, protocol, mode: p.PublishMode === 'host' ? 'host' : 'ingress' };
}

function taskView(t: RawTask): SwarmTaskView {
  const message = t.Status?.Message;
  const error = t.Status?.Err;
  return {
    id: t.ID,
    serviceId: t.ServiceID ?? '',
    nodeId: t.NodeID || null,
    slot: typeof t.Slot === 'number' && t.Slot > 0 ? t.Slot : null,
    state: t.Status?.State ?? 'new',
    desiredState: t.DesiredState ?? 'running',
    image: shortImage(t.Spec?.ContainerSpec?.Image ?? ''),
    ...(message ? { message } : {}),
    ...(error ? { error } : {}),
  };
}


function portsOf(
  raw: RawCluster,
  view: { nodes: SwarmNodeView[]; services: SwarmServiceView[]; tasks: SwarmTaskView[]; swarm: ClusterState['swarm'] },
  opts: ModelOptions,
): PublishedPortView[] {
  const out = new Map<string, PublishedPortView>();
  const nodeOf = new Map(view.nodes.map((n) => [n.id, n.node]));
  const add = (p: Omit<PublishedPortView, 'url'>) => {
    const key = `${p.node}/${p.port}/${p.protocol}`;
    const existing = out.get(key);
    if (existing && existing.kind !== 'ingress') return; // something that answers directly wins
    const url = p.protocol === 'tcp' ? (opts.previewUrl?.(p.node, p.port) ?? null) : null;
    out.set(key, { ...p, url });
  };

  // Host-mode ports answer on the node that runs the task, once its container is up.
  const byTaskId = new Map(raw.tasks.map((t) => [t.ID, t]));
  for (const task of view.tasks) {
    const node = task.nodeId ? nodeOf.get(task.nodeId) : undefined;
    const service = view.services.find((s) => s.id === task.serviceId);
    if (!node || !service || task.state !== 'running') continue;
    for (const p of byTaskId.get(task.id)?.Status?.PortStatus?.Ports ?? []) {
      const port = portView(p);
      if (port?.mode === 'host') add({ node, port: port.published, target: port.target, protocol: port.protocol, kind: 'host', owner: service.name });
    }
  }

  // Ingress ports answer on every node through the routing mesh; offer them on the node we read from.
  const meshNode = raw.source;
  if (meshNode) {
    for (const service of view.services) {
      for (const port of service.ports) {
        if (port.mode !== 'ingress') continue;
        add({
          node: meshNode,
          port: port.published,
          target: port.target,
          protocol: port.protocol,
          kind: 'ingress',
          owner: service.name,
          ...(opts.ipvs ? {} : { problem: ingressProblem(service.name, port.published, port.target) }),
        });
      }
    }
  }

  // Plain containers (`docker run -p`); swarm task containers are covered above.
  for (const [node, containers] of Object.entries(raw.containers ?? {}) as Array<[NodeName, RawContainer[]]>) {
    for (const c of containers) {
      if (c.Labels?.[SWARM_TASK_ID_LABEL] !== undefined) continue;
      const name = (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, '');
      for (const p of c.Ports ?? []) {
        if (!p.PublicPort || !p.PrivatePort) continue;
        const protocol = p.Type === 'udp' ? 'udp' : p.Type === 'sctp' ? 'sctp' : 'tcp';
        add({ node, port: p.PublicPort, target: p.PrivatePort, protocol, kind: 'container', owner: name });
      }
    }
  }
  return [...out.values()].sort((a, b) => a.node.localeCompare(b.node, 'en', { numeric: true }) || a.port - b.port || a.protocol.localeCompare(b.protocol));
}

export function ingressProblem(service: string, published: number, target: number): string {
  return (
    `Port ${published} of service "${service}" is published through the ingress routing mesh, which needs IPVS in the host's kernel; ` +
    `this host has none, so nothing answers on it here. Publish it in host mode instead: ` +
    hostModeCommand(service, published, target)
  );
}
