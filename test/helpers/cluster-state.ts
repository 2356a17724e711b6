/**
 * Snapshot-free undo for the lesson tests: remember what a learner's cluster
 * looks like (swarm membership, nodes, services with their specs, networks,
 * plain containers, lab files), and after a wrong answer put it back the way
 * it was, through the nodes' own Docker APIs and CLI. Cheaper than a fresh
 * cluster per wrong answer brought to the lesson's start by replaying every
 * earlier solution.
 */
import type Docker from 'dockerode';
import { runStep } from '../../sandbox-server/src/checks/apply.ts';
import { innerEngine } from '../../sandbox-server/src/engine/inner-events.ts';
import { labArchive, listNodeFiles, putLabFiles, readNodeFile } from '../../sandbox-server/src/files/labfiles.ts';
import { LABEL } from '../../sandbox-server/src/engine/labels.ts';
import { retryUntil } from '../../sandbox-server/src/retry.ts';
import { SWARM_TASK_ID_LABEL } from '@contract/docker.ts';
import { docker } from './server.ts';
import { waitFor } from './wait.ts';

export interface TestNode {
  name: string;
  ip: string;
  container: Docker.Container;
  engine: Docker;
}

interface ServiceSpecJson {
  Name: string;
  Mode?: { Replicated?: { Replicas?: number } };
}
interface ServiceJson {
  ID: string;
  Version: { Index: number };
  Spec: ServiceSpecJson;
}
interface NodeJson {
  ID: string;
  Version: { Index: number };
  Description?: { Hostname?: string };
  Spec: { Role?: string; Availability?: string; Labels?: Record<string, string> };
  Status?: { State?: string };
}
interface TaskJson {
  ID: string;
  ServiceID: string;
  DesiredState?: string;
  Status?: { State?: string };
}

export interface ClusterSnapshot {
  swarm: Record<string, { state: string; manager: boolean }>;
  /** By service name. */
  services: Map<string, ServiceJson>;
  nodes: NodeJson[];
  swarmNetworks: Set<string>;
  localNetworks: Record<string, Set<string>>;
  containers: Record<string, Set<string>>;
  files: Record<string, { path: string; content: Buffer }[]>;
  /** Running tasks per service name, to wait for after a restore. */
  running: Map<string, number>;
  /** Swarm secret names (secrets a wrong answer created are removed again). */
  secrets: Set<string>;
}

/** The nodes of a learner's cluster: the instance's node containers with these addresses. */
export async function clusterNodes(instance: string, ips: string[]): Promise<TestNode[]> {
  const list = await docker.listContainers({ filters: JSON.stringify({ label: [`${LABEL.instance}=${instance}`] }) });
  return list
    .filter((c) => Object.values(c.NetworkSettings.Networks).some((n) => ips.includes(n.IPAddress)))
    .map((c) => {
      const ip = Object.values(c.NetworkSettings.Networks)[0]?.IPAddress ?? '';
      return { name: c.Labels[LABEL.node]!, ip, container: docker.getContainer(c.Id), engine: innerEngine(ip, 15_000) };
    })
    .sort((a, b) => (a.name === 'manager' ? -1 : b.name === 'manager' ? 1 : a.name.localeCompare(b.name)));
}

/** Run a shell command on a node, as Apply solution does. */
export async function sh(node: TestNode, command: string): Promise<{ exitCode: number | null; output: string }> {
  return runStep(node.container, command, 120);
}

async function swarmManager(nodes: TestNode[]): Promise<TestNode | undefined> {
  for (const n of nodes) {
    const info = (await n.engine.info().catch(() => null)) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } } | null;
    if (info?.Swarm?.LocalNodeState === 'active' && info.Swarm.ControlAvailable) return n;
  }
  return undefined;
}

const BUILT_IN_NETWORKS = new Set(['bridge', 'host', 'none', 'ingress', 'docker_gwbridge']);

export async function captureState(nodes: TestNode[]): Promise<ClusterSnapshot> {
  const swarm: ClusterSnapshot['swarm'] = {};
  const localNetworks: ClusterSnapshot['localNetworks'] = {};
  const containers: ClusterSnapshot['containers'] = {};
  const files: ClusterSnapshot['files'] = {};
  for (const n of nodes) {
    const info = (await n.engine.info()) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
    swarm[n.name] = { state: info.Swarm?.LocalNodeState ?? 'inactive', manager: !!info.Swarm?.ControlAvailable };
    const nets = (await n.engine.listNetworks()) as { Name: string; Scope?: string }[];
    localNetworks[n.name] = new Set(nets.filter((x) => x.Scope === 'local' && !BUILT_IN_NETWORKS.has(x.Name)).map((x) => x.Name));
    const cs = (await n.engine.listContainers({ all: true })) as { Id: string; Labels?: Record<string, string> }[];
    containers[n.name] = new Set(cs.filter((c) => !c.Labels?.[SWARM_TASK_ID_LABEL]).map((c) => c.Id));
    const list = await listNodeFiles(n.container);
    files[n.name] = await Promise.all(list.map(async (f) => ({ path: f.path, content: (await readNodeFile(n.container, f.path)) ?? Buffer.alloc(0) })));
  }
  const manager = await swarmManager(nodes);
  const services = new Map<string, ServiceJson>();
  const running = new Map<string, number>();
  let swarmNodes: NodeJson[] = [];
  const swarmNetworks = new Set<string>();
  const secrets = new Set<string>();
  if (manager) {
    for (const x of (await manager.engine.listSecrets()) as { Spec?: { Name?: string } }[]) secrets.add(x.Spec?.Name ?? '');
    const [ss, ts, ns, nets] = await Promise.all([
      manager.engine.listServices() as unknown as Promise<ServiceJson[]>,
      manager.engine.listTasks() as unknown as Promise<TaskJson[]>,
      manager.engine.listNodes() as unknown as Promise<NodeJson[]>,
      manager.engine.listNetworks() as Promise<{ Name: string; Scope?: string }[]>,
    ]);
    for (const s of ss) {
      services.set(s.Spec.Name, s);
      running.set(s.Spec.Name, ts.filter((t) => t.ServiceID === s.ID && t.DesiredState === 'running' && t.Status?.State === 'running').length);
    }
    swarmNodes = ns;
    for (const x of nets) if (x.Scope === 'swarm' && !BUILT_IN_NETWORKS.has(x.Name)) swarmNetworks.add(x.Name);
  }
  return { swarm, services, nodes: swarmNodes, swarmNetworks, localNetworks, containers, files, running, secrets };
}

/** A comparable summary: what a learner (and a check) would see. */
export async function fingerprint(nodes: TestNode[]): Promise<string> {
  const s = await captureState(nodes);
  return describeSnapshot(s);
}

export function describeSnapshot(s: ClusterSnapshot): string {
  const services = [...s.services.values()]
    .map((x) => `${x.Spec.Name}:${x.Spec.Mode?.Replicated?.Replicas ?? 'global'}`)
    .sort();
  const nodes = s.nodes.filter((n) => n.Status?.State === 'ready').map((n) => `${n.Description?.Hostname}:${n.Spec.Role}:${n.Spec.Availability}`).sort();
  return JSON.stringify({
    swarm: s.swarm,
    services,
    nodes,
    swarmNetworks: [...s.swarmNetworks].sort(),
    secrets: [...s.secrets].sort(),
    localNetworks: Object.fromEntries(Object.entries(s.localNetworks).map(([k, v]) => [k, [...v].sort()])),
    containers: Object.fromEntries(Object.entries(s.containers).map(([k, v]) => [k, v.size])),
  });
}

const ignore = () => undefined;

/** Put the cluster back to `before`. Throws with a reason when something cannot be undone. */
export async function restoreState(nodes: TestNode[], before: ClusterSnapshot): Promise<void> {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const now = await captureState(nodes);

  // 1. Swarm membership. Nodes that joined or started a swarm since leave it again.
  const startedSwarm = Object.entries(now.swarm).filter(([n, st]) => st.state !== 'inactive' && before.swarm[n]?.state === 'inactive');
  const lostSwarm = Object.entries(now.swarm).filter(([n, st]) => st.state === 'inactive' && before.swarm[n]?.state === 'active');
  if (lostSwarm.length) throw new Error(`cannot undo: ${lostSwarm.map(([n]) => n).join(', ')} left the swarm`);
  const originalManager = Object.entries(before.swarm).find(([, st]) => st.manager)?.[0];
  const manager = originalManager ? byName.get(originalManager) : undefined;
  if (manager) {
    // Promoted or joined as managers: demote first, so leaving does not cost the swarm its quorum.
    for (const [name] of startedSwarm) {
      if (now.swarm[name]?.manager) await sh(manager, `docker node demote ${name}`);
    }
    for (const [name] of startedSwarm) {
      if (now.swarm[name]?.manager) {
        await waitFor(async () => !((await byName.get(name)!.engine.info()) as { Swarm?: { ControlAvailable?: boolean } }).Swarm?.ControlAvailable, 30_000, `${name} demoted`);
      }
    }
  }
  for (const [name] of startedSwarm) await sh(byName.get(name)!, 'docker swarm leave --force');
  if (manager) {
    const beforeIds = new Set(before.nodes.map((n) => n.ID));
    const extra = ((await manager.engine.listNodes()) as unknown as NodeJson[]).filter((n) => !beforeIds.has(n.ID));
    for (const n of extra) await manager.engine.getNode(n.ID).remove({ force: true }).catch(ignore);
    // Availability or role changed on a node that stays.
    for (const n of (await manager.engine.listNodes()) as unknown as NodeJson[]) {
      const was = before.nodes.find((b) => b.ID === n.ID);
      if (was && (was.Spec.Role !== n.Spec.Role || was.Spec.Availability !== n.Spec.Availability)) {
        await manager.engine.getNode(n.ID).update({ _query: { version: n.Version.Index }, _body: was.Spec } as object);
      }
    }
  }

  // 2. Services: remove new ones, recreate removed ones, put changed specs back.
  if (manager) {
    const current = new Map(((await manager.engine.listServices()) as unknown as ServiceJson[]).map((s) => [s.Spec.Name, s]));
    const removed = [...current].filter(([name]) => !before.services.has(name)).map(([, s]) => s.ID);
    for (const id of removed) await manager.engine.getService(id).remove().catch(ignore);
    // Their containers stop a moment later; until then they hold host ports (e.g. 8080).
    await waitFor(
      async () => {
        for (const n of nodes) {
          for (const id of removed) {
            const left = await n.engine.listContainers({ all: true, filters: JSON.stringify({ label: [`com.docker.swarm.service.id=${id}`] }) } as object).catch(() => []);
            if ((left as unknown[]).length) return false;
          }
        }
        return true;
      },
      120_000,
      'containers of removed services gone',
    );
    for (const [name, s] of before.services) {
      const cur = current.get(name);
      if (!cur) await manager.engine.createService(s.Spec as unknown as Docker.CreateServiceOptions);
      else if (cur.Version.Index !== s.Version.Index && JSON.stringify(cur.Spec) !== JSON.stringify(s.Spec)) {
        await manager.engine.getService(cur.ID).update({ _query: { version: cur.Version.Index }, _body: s.Spec } as object);
      }
    }
    // Secrets that were not there (no longer in use once their services are gone).
    for (const x of (await manager.engine.listSecrets()) as { ID: string; Spec?: { Name?: string } }[]) {
      if (!before.secrets.has(x.Spec?.Name ?? '')) await manager.engine.getSecret(x.ID).remove().catch(ignore);
    }
    // 3. Swarm networks that were not there (their tasks take a moment to let go).
    await waitFor(
      async () => {
        const nets = (await manager.engine.listNetworks()) as { Id: string; Name: string; Scope?: string }[];
        const extra = nets.filter((x) => x.Scope === 'swarm' && !BUILT_IN_NETWORKS.has(x.Name) && !before.swarmNetworks.has(x.Name));
        for (const x of extra) await manager.engine.getNetwork(x.Id).remove().catch(ignore);
        return extra.length === 0;
      },
      60_000,
      'extra swarm networks removed',
    );
    // Workers let go of an overlay later than the manager; a stack deployed while a removed
    // network of the same shape lingers there can come up without working service DNS.
    await waitFor(
      async () => {
        for (const n of nodes) {
          const nets = (await n.engine.listNetworks()) as { Name: string; Scope?: string }[];
          if (nets.some((x) => x.Scope === 'swarm' && !BUILT_IN_NETWORKS.has(x.Name) && !before.swarmNetworks.has(x.Name))) return false;
        }
        return true;
      },
      60_000,
      'extra swarm networks gone from every node',
    );
  }

  // 4. Plain containers and local networks per node.
  for (const n of nodes) {
    const cs = (await n.engine.listContainers({ all: true })) as { Id: string; Labels?: Record<string, string> }[];
    for (const c of cs) {
      if (!c.Labels?.[SWARM_TASK_ID_LABEL] && !before.containers[n.name]?.has(c.Id)) await n.engine.getContainer(c.Id).remove({ force: true }).catch(ignore);
    }
    const nets = (await n.engine.listNetworks()) as { Id: string; Name: string; Scope?: string }[];
    for (const x of nets) {
      if (x.Scope === 'local' && !BUILT_IN_NETWORKS.has(x.Name) && !before.localNetworks[n.name]?.has(x.Name)) await n.engine.getNetwork(x.Id).remove().catch(ignore);
    }
  }

  // 5. Lab files as they were.
  await Promise.all(nodes.map(async (n) => putLabFiles(n.container, await labArchive(before.files[n.name] ?? []))));

  // 6. Wait until every service runs as many tasks as before.
  if (manager) {
    let last = '';
    await waitFor(
      async () => {
        const [ss, ts] = await Promise.all([manager.engine.listServices() as unknown as Promise<ServiceJson[]>, manager.engine.listTasks() as unknown as Promise<TaskJson[]>]);
        const short = [...before.running].filter(([name, want]) => {
          const s = ss.find((x) => x.Spec.Name === name);
          const have = s ? ts.filter((t) => t.ServiceID === s.ID && t.DesiredState === 'running' && t.Status?.State === 'running').length : 0;
          return have < want;
        });
        last = short.map(([n]) => n).join(', ');
        return short.length === 0;
      },
      90_000,
      'services running as before',
      () => last,
    );
  }
}

/**
 * Wait until the swarm stops changing: no task of a service is on its way to
 * running (pending for lack of a node counts as settled), twice in a row.
 */
export async function settle(nodes: TestNode[], maxMs = 10_000): Promise<void> {
  const manager = await swarmManager(nodes);
  let previous = '';
  let stableSince = 0;
  // Past maxMs the caller goes on with the swarm as it is.
  await retryUntil(
    async () => {
      let key = 'no swarm';
      if (manager) {
        const ts = ((await manager.engine.listTasks().catch(() => [])) as TaskJson[]).filter((t) => t.DesiredState === 'running');
        const moving = ts.some((t) => ['new', 'allocated', 'assigned', 'accepted', 'preparing', 'ready', 'starting'].includes(t.Status?.State ?? ''));
        key = moving ? `moving ${Date.now()}` : ts.map((t) => `${t.ID}:${t.Status?.State}`).sort().join(',');
      }
      if (key !== previous) [previous, stableSince] = [key, Date.now()];
      return Date.now() - stableSince >= 1000;
    },
    (stable) => stable,
    { everyMs: 250, deadline: Date.now() + maxMs },
  );
}
