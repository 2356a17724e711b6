/**
 * After a restart (clean or not), find everything an earlier run of this
 * instance left behind, by labels: healthy clusters are returned for adoption,
 * broken ones and stray networks or volumes are removed.
 */
import type Docker from 'dockerode';
import type { Logger } from '../log.ts';
import { LABEL, labelFilter } from '../engine/labels.ts';
import { destroyCluster, type Cluster, type ClusterNode } from './provision.ts';

export async function reconcileClusters(docker: Docker, instance: string, log: Logger): Promise<Cluster[]> {
  const filters = labelFilter(instance);
  const containers = await docker.listContainers({ all: true, filters });
  const byCluster = new Map<string, Docker.ContainerInfo[]>();
  for (const c of containers) {
    const id = c.Labels[LABEL.cluster];
    if (id) byCluster.set(id, [...(byCluster.get(id) ?? []), c]);
  }
  const [networks, { Volumes }] = await Promise.all([docker.listNetworks({ filters }), docker.listVolumes({ filters })]);
  const allIds = new Set([
    ...byCluster.keys(),
    ...networks.map((n) => n.Labels?.[LABEL.cluster]),
    ...(Volumes ?? []).map((v) => v.Labels?.[LABEL.cluster]),
  ]);

  const healthy: Cluster[] = [];
  for (const id of allIds) {
    if (!id) continue;
    const members = byCluster.get(id) ?? [];
    const network = networks.find((n) => n.Labels?.[LABEL.cluster] === id);
    const running = members.length > 0 && members.every((c) => c.State === 'running');
    const hasManager = members.some((c) => c.Labels[LABEL.node] === 'manager');
    if (running && hasManager && network) {
      healthy.push(toCluster(id, network.Id, members));
    } else {
      log.warn('removing a broken leftover cluster', { cluster: id, containers: members.length });
      await destroyCluster(docker, instance, id);
    }
  }
  return healthy;
}

function toCluster(id: string, networkId: string, members: Docker.ContainerInfo[]): Cluster {
  const nodes: ClusterNode[] = members
    .map((c) => ({
      name: c.Labels[LABEL.node]!,
      role: c.Labels[LABEL.role] === 'manager' ? ('manager' as const) : ('worker' as const),
      ip: Object.values(c.NetworkSettings?.Networks ?? {})[0]?.IPAddress ?? '',
      containerId: c.Id,
    }))
    .sort((a, b) => (a.name === 'manager' ? -1 : b.name === 'manager' ? 1 : a.name.localeCompare(b.name)));
  const createdAt = Number(members[0]?.Labels[LABEL.createdAt] ?? Date.now());
  return { id, networkId, nodes, createdAt };
}

export interface LeftoverPlan<C> {
  /** Clusters that go back to the learner whose session row names them. */
  owned: Map<string, C>;
  /** Never handed to anyone: may serve as warm clusters (up to the pool's size). */
  warm: C[];
  /** Handed out once and owned by no session now (or more than the pool wants): torn down. */
  destroy: C[];
}

/**
 * What to do with each healthy cluster found at start-up. A cluster named by a session row goes
 * back to that session; one that was ever handed out (hand-out record) and has no session is
 * destroyed, never pooled; the rest fill the pool up to `poolSize`, the surplus is destroyed.
 */
export function planLeftovers<C extends { id: string }>(found: C[], sessionClusterIds: ReadonlySet<string>, handedOut: ReadonlySet<string>, poolSize: number): LeftoverPlan<C> {
  const plan: LeftoverPlan<C> = { owned: new Map(), warm: [], destroy: [] };
  for (const c of found) {
    if (sessionClusterIds.has(c.id)) plan.owned.set(c.id, c);
    else if (handedOut.has(c.id) || plan.warm.length >= poolSize) plan.destroy.push(c);
    else plan.warm.push(c);
  }
  return plan;
}
