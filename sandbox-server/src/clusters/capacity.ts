/**
 * How many learner clusters one host holds: its cores, memory, learner disk and pid space, each
 * divided by what a working cluster costs. The smallest quotient is the limit (the default of
 * SWB_MAX_CLUSTERS), and the resource it comes from is what bounds this host. Pure arithmetic:
 * config.ts reads the host once (host-resources.ts) and passes the answer on.
 */

/**
 * What one cluster of the default shape (a manager and two workers) costs while its learner works,
 * measured with `npm run bench:capacity` (scripts/bench-capacity.ts) on the 2-core, 24 GB test host:
 * a cluster walked through every lesson's solution (the seed path: swarm, the app's services, MySQL,
 * overlay network, scaling, the stack, rolling updates, secrets), sampled every 5 s.
 * - memory: the seed path's services running (3 web tasks, 2 MySQL, the visualizer, the swarm):
 *   ~560 MB measured after the walk (a fresh cluster: ~110 MB). SWB_NODE_MEMORY_MB (1024 per node)
 *   is a cap a learner may reach, not what a class uses, so it is not the cost.
 * - CPU: an idle swarm-mode cluster with those services takes ~6 % of a core (a fresh one < 1 %,
 *   a bare swarm ~3 %); the walk itself took ~X core-seconds of the nodes and the server together.
 *   A learner does that work over a 90-minute stretch of class at the least (workshops last 3 h),
 *   so the cost is the idle share plus that work spread over 90 minutes.
 * - disk: ~1.4 GB of the learner disk after the seed path (images pulled on every node). The disk
 *   guard resets a cluster past SWB_CLUSTER_DISK_MB, and resets the biggest one when the learner disk
 *   is over 90 % full, so a few learners who pull more do not stop the others.
 */
export const CLUSTER_COST = {
  nodes: 3,
  cpuCores: 0.1,
  memoryMb: 560,
  diskGb: 1.4,
} as const;

/**
 * What the host keeps for itself: the server (Node and the web app), both Docker Engines and the
 * registry mirror took ~1.2 GB together on the test host; 2 GB leaves room for the page cache.
 */
export const HOST_RESERVED_MEMORY_MB = 2048;
/** Learner clusters may use this share of the cores; the rest keeps terminals and checks quick. */
export const LEARNER_CORE_SHARE = 0.8;
/** Learner clusters may use this share of the learner disk: the disk guard steps in at 90 %. */
export const LEARNER_DISK_SHARE = 0.9;

export type CapacityBound = 'cores' | 'memory' | 'disk' | 'pids';

export interface HostResources {
  cores: number;
  memoryMb: number;
  /** Size of the learner engine's disk (all learner clusters share it). */
  learnerDiskGb: number;
  /** Pids the host gives every learner node together (`learnerPidsBudget` of isolation/kernel-quotas.ts). */
  learnerPids: number;
}

export interface ClusterCost {
  cpuCores: number;
  memoryMb: number;
  diskGb: number;
  /** Each node's pids limit times the nodes of a cluster: all of them may be in use at once. */
  pids: number;
}

export interface HostCapacity {
  /** Clusters this host runs at once (at least 1). */
  limit: number;
  /** The resource that gives the smallest count. */
  bound: CapacityBound;
  /** The clusters each resource alone would allow. */
  byResource: Record<CapacityBound, number>;
}

/** A cluster's cost for its node count (CPU, memory and pulled images grow with the nodes) and node pids limit. */
export function clusterCost(workers: number, nodePids: number): ClusterCost {
  const nodes = workers + 1;
  const scale = nodes / CLUSTER_COST.nodes;
  return {
    cpuCores: CLUSTER_COST.cpuCores * scale,
    memoryMb: CLUSTER_COST.memoryMb * scale,
    diskGb: CLUSTER_COST.diskGb * scale,
    pids: nodes * nodePids,
  };
}

export function hostCapacity(host: HostResources, perCluster: ClusterCost): HostCapacity {
  const fit = (have: number, each: number) => Math.max(0, Math.floor(have / each));
  const byResource: Record<CapacityBound, number> = {
    cores: fit(host.cores * LEARNER_CORE_SHARE, perCluster.cpuCores),
    memory: fit(host.memoryMb - HOST_RESERVED_MEMORY_MB, perCluster.memoryMb),
    disk: fit(host.learnerDiskGb * LEARNER_DISK_SHARE, perCluster.diskGb),
    pids: fit(host.learnerPids, perCluster.pids),
  };
  const bound = (Object.keys(byResource) as CapacityBound[]).reduce((a, b) => (byResource[b] < byResource[a] ? b : a));
  return { limit: Math.max(1, byResource[bound]), bound, byResource };
}

/** "memory (24 GB less 2 GB for the host, 560 MB a cluster)": the bound in words, for the doctor and the instructor. */
export function describeBound(c: HostCapacity, host: HostResources, perCluster: ClusterCost): string {
  const gb = (mb: number) => `${(mb / 1024).toFixed(1).replace(/\.0$/, '')} GB`;
  switch (c.bound) {
    case 'cores':
      return `cores (${host.cores} cores, ${Math.round(LEARNER_CORE_SHARE * 100)} % of them for learners, ${round2(perCluster.cpuCores)} of a core a cluster)`;
    case 'memory':
      return `memory (${gb(host.memoryMb)} less ${gb(HOST_RESERVED_MEMORY_MB)} for the host, ${Math.round(perCluster.memoryMb)} MB a cluster)`;
    case 'disk':
      return `learner disk (${Math.round(host.learnerDiskGb)} GB, ${Math.round(LEARNER_DISK_SHARE * 100)} % of it for clusters, ${round2(perCluster.diskGb)} GB a cluster)`;
    case 'pids':
      return `pid space (${host.learnerPids} pids for learner nodes, ${perCluster.pids} a cluster)`;
  }
}

const round2 = (n: number) => String(Math.round(n * 100) / 100);
