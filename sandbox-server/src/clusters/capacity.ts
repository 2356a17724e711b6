/**
 * How many learner clusters one host holds: its cores, memory, learner disk and pid space, each
 * divided by what a working cluster costs. The smallest quotient is the limit (the default of
 * SWB_MAX_CLUSTERS), and the resource it comes from is what bounds this host. Pure arithmetic:
 * config.ts reads the host once (host-resources.ts) and passes the answer on.
 */

/**
 * What one cluster of the default shape (a manager and two workers) costs while its learner works,
 * measured with `npm run bench:capacity` (scripts/bench-capacity.ts) on the 2-core, 24 GB test host
 * (no IPVS, so the lessons' host-mode variants): a real cluster on the learner engine, fresh, then
 * walked through every lesson's solution back to back (the seed path: swarm, the app's services,
 * MySQL, overlay network, scaling, the stack, rolling updates, secrets), sampled every 5 s.
 * - memory: a fresh cluster takes 111 MB; with everything the seed path leaves running (web tasks,
 *   two MySQL, the visualizer, the swarm) 885 MB, which is what a class ends with: 900 MB.
 *   SWB_NODE_MEMORY_MB (1024 per node) is a cap one learner may reach, not what a class uses.
 * - CPU: with those services idle, 2.6 % of a core in the nodes and 1 % in the server (checks,
 *   events, cluster picture); the walk itself took 366 s at 26 % + 3 % of a core, 107 core-seconds.
 *   A class does that work in an hour of hands-on time at the least (workshops last 3 h; the walk
 *   types nothing and reads nothing), so 3.6 % + 107 s / 3600 s = 6.6 %: 0.07 of a core. A whole
 *   room applying a solution at the same moment is slower for a minute, not broken.
 * - disk: 1.32 GB of the learner disk after the seed path (images pulled on the nodes that run
 *   tasks): 1.4 GB. The disk guard resets a cluster past SWB_CLUSTER_DISK_MB (6 GB), and the biggest
 *   one when the learner disk is over 90 % full, so a few learners who pull more cannot fill it.
 * - pids: the nodes' limit (SWB_NODE_PIDS), not their use (269 after the seed path): every node of
 *   every cluster must fit what the host gives learner nodes (isolation/kernel-quotas.ts).
 */
export const CLUSTER_COST = {
  nodes: 3,
  cpuCores: 0.07,
  memoryMb: 900,
  diskGb: 1.4,
} as const;

/**
 * What the host keeps for itself: both Docker Engines and their containerd took ~0.4 GB on the
 * test host, the server with the web app ~0.5 GB, the registry mirror a little; 2 GB leaves room
 * for the page cache and a build.
 */
export const HOST_RESERVED_MEMORY_MB = 2048;
/** Learner clusters may use this share of the cores; the rest keeps the server's terminals and checks quick. */
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

/** "memory (23.5 GB less 2 GB for the host, 900 MB a cluster)": the bound in words, for the doctor and the instructor. */
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
