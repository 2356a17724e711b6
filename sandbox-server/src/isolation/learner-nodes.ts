/**
 * Which engine runs learner nodes, and how they are isolated. By default (SWB_ISOLATION=userns)
 * the learner engine (engine/learner.ts) with the node image copied into it and the host's limits
 * sized for it (kernel-quotas.ts); when this host cannot run it, the host engine in hardened mode,
 * with a loud warning (also in the doctor and the UI).
 */
import path from 'node:path';
import type Docker from 'dockerode';
import { errorMessage } from '../log.ts';
import type { CgroupOwner } from '../engine/cgroups.ts';
import type { Isolation } from '../engine/host.ts';
import { ensureLearnerDisk, ensureLearnerEngine, LEARNER_CGROUP_PARENT } from '../engine/learner.ts';
import type { NodeDisks } from '../engine/node-disk.ts';
import { learnerEngineOptions, type NodeEngineSettings } from '../engine/node-engine.ts';
import { copyImage } from '../engine/node-image.ts';
import { sizeHostForLearners, type Ulimit } from './kernel-quotas.ts';

export interface NodeEngine {
  docker: Docker;
  isolation: Isolation;
  /** Why `userns` is not used (empty when it is). */
  note: string;
  /** Set under a user namespace: node cgroups are handed to this owner after each start. */
  cgroupOwner: CgroupOwner | null;
  /** Per-node disks, or null when this host cannot make them (nodes then use plain volumes). */
  disks: NodeDisks | null;
  /** Each node's own share of the rlimits all nodes share (user namespace only). */
  nodeUlimits: Ulimit[];
}

/** The settings setupNodeEngine reads (the server's config has them). */
export interface NodeIsolationSettings extends NodeEngineSettings {
  SWB_ISOLATION: 'userns' | 'hardened';
  DOCKER_HOST?: string | undefined;
  SWB_MAX_CLUSTERS: number;
  SWB_WORKERS: number;
  SWB_NODE_PIDS: number;
  SWB_NODE_DISK_MB: number;
}

export async function setupNodeEngine(
  config: NodeIsolationSettings,
  hostDocker: Docker,
  nodeImage: string,
  log: { info(line: string): void; warn(line: string): void },
  /**
   * Installs the learner firewall. Runs before any engine is started: nodes have restart policy
   * unless-stopped, so they come back the moment their engine does, and must find the rules there.
   */
  fence: () => Promise<void>,
  startLearnerEngine = ensureLearnerEngine,
): Promise<NodeEngine> {
  await fence();
  const opts = learnerEngineOptions(config);
  let why = 'SWB_ISOLATION=hardened';
  if (config.SWB_ISOLATION === 'userns') {
    try {
      if (config.DOCKER_HOST) throw new Error('DOCKER_HOST points at another engine; the learner engine must run on this host');
      const engine = await startLearnerEngine(opts, (l) => log.info(l));
      await copyImage(hostDocker, engine.docker, nodeImage, (l) => log.info(l));
      const owner = { uid: engine.rootUid, gid: engine.rootGid };
      const needs = { nodes: config.SWB_MAX_CLUSTERS * (config.SWB_WORKERS + 1), pidsPerNode: config.SWB_NODE_PIDS };
      const sized = sizeHostForLearners(needs, engine.pid, LEARNER_CGROUP_PARENT);
      for (const line of sized.changed) log.info(`host limits for ${needs.nodes} learner nodes: ${line}`);
      for (const line of sized.warnings) log.warn(line);
      return {
        nodeUlimits: sized.ulimits,
        docker: engine.docker,
        isolation: 'userns',
        note: '',
        cgroupOwner: owner,
        disks: { dir: path.join(engine.diskMount, 'nodes'), sizeMb: config.SWB_NODE_DISK_MB, ...owner },
      };
    } catch (err) {
      why = `the user-namespaced learner engine cannot run here: ${errorMessage(err)}`;
      log.warn(
        `!!! ISOLATION FALLBACK: ${why}. Learner nodes run on the host engine with hardened capabilities only; ` +
          'root in a node is much closer to root on this host. Fix the cause (see `npm run doctor`) before letting strangers in.',
      );
    }
  }
  let disks: NodeDisks | null = null;
  try {
    if (!config.DOCKER_HOST) {
      const mount = await ensureLearnerDisk(opts, (l) => log.info(l));
      disks = { dir: path.join(mount, 'nodes'), sizeMb: config.SWB_NODE_DISK_MB, uid: 0, gid: 0 };
    }
  } catch (err) {
    log.warn(`no per-node disks (nodes share the host engine's disk): ${errorMessage(err)}`);
  }
  return { docker: hostDocker, isolation: 'hardened', note: why, cgroupOwner: null, disks, nodeUlimits: [] };
}
