/**
 * The disk guard: what a cluster really takes of the learner disk every node shares, looked at every
 * few seconds, and a cluster that takes too much is reset (its learner told why).
 * - Each node's own disk is a sparse file: it takes only what was written (and, mounted with
 *   `discard`, gives back what is deleted). Each is capped, but there are three per cluster and
 *   many clusters, so together they could still fill the learner disk: a cluster may use
 *   SWB_CLUSTER_DISK_MB of real space, all its nodes together.
 * - A node's own filesystem is read-only, but root in the node can remount it writable
 *   (`mount -o remount,bind,rw /`: the mount belongs to the node's user namespace). What it then
 *   writes lands in the container's layer, on the learner disk itself, outside any node disk. A
 *   layer normally holds a few kilobytes, so more than ROOTFS_LIMIT_BYTES (or more files than the
 *   walk looks at) is that remount.
 * - Many clusters under their limit can still fill the learner disk together (the defaults allow
 *   more clusters than it holds at their limit). When it is over NEARLY_FULL, the cluster that uses
 *   the most (if over FAIR_SHARE_BYTES) is reset, one a round, before every learner gets ENOSPC.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { LABEL, labelFilter } from '../engine/labels.ts';
import { nodeDiskOf } from '../engine/node-disk.ts';
import type { Logger } from '../log.ts';
import { errorMessage } from '../log.ts';

export const ROOTFS_LIMIT_BYTES = 64 * 2 ** 20;
/** Fraction of the learner disk in use past which the biggest cluster gives its room back. */
export const NEARLY_FULL = 0.9;
/** A cluster under this is never the one reset for a full learner disk (a started lab takes about this). */
export const FAIR_SHARE_BYTES = 2 ** 30;
/** Entries a walk of one container layer looks at: a flood of tiny files is over the limit too. */
export const ROOTFS_MAX_ENTRIES = 20_000;
const ROUND_TIMEOUT_MS = 60_000;

export interface NodeUsage {
  cluster: string;
  node: string;
  /** Real bytes of the node's own disk file (0 without node disks). */
  diskBytes: number;
  /** Bytes written to the node's container layer. */
  rootfsBytes: number;
  /** The node's own filesystem is read-only (it has a disk for its files): writes there mean a remount. */
  readOnlyRoot: boolean;
  /** The layer holds more entries than the walk looks at. */
  rootfsFlooded: boolean;
}

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

/**
 * Clusters over a limit, each with what its learner is told. `sharedDiskNearlyFull`: the learner
 * disk is over NEARLY_FULL, so the biggest cluster goes too.
 */
export function clustersOverLimit(usage: NodeUsage[], clusterLimitBytes: number, sharedDiskNearlyFull = false): Map<string, string> {
  const over = new Map<string, string>();
  const totals = new Map<string, number>();
  for (const n of usage) {
    totals.set(n.cluster, (totals.get(n.cluster) ?? 0) + n.diskBytes + n.rootfsBytes);
    if (!over.has(n.cluster) && n.readOnlyRoot && (n.rootfsBytes > ROOTFS_LIMIT_BYTES || n.rootfsFlooded)) {
      over.set(
        n.cluster,
        `the ${n.node} node wrote ${n.rootfsFlooded ? 'too many files' : `${mb(n.rootfsBytes)} MB`} to its own read-only filesystem ` +
          '(after remounting it); your files belong in /root, /tmp, /lab or Docker\'s own storage',
      );
    }
  }
  for (const [cluster, total] of totals) {
    if (!over.has(cluster) && total > clusterLimitBytes) {
      over.set(cluster, `your nodes used ${mb(total)} MB of disk, more than the ${mb(clusterLimitBytes)} MB a sandbox may use`);
    }
  }
  if (sharedDiskNearlyFull && over.size === 0) {
    const [biggest, most] = [...totals].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
    if (most > FAIR_SHARE_BYTES) over.set(biggest, `the disk all sandboxes share is nearly full, and your nodes used the most of it (${mb(most)} MB)`);
  }
  return over;
}

/** Real bytes under `dir` (what its files take on disk), walking at most `maxEntries` entries. */
export async function folderBytes(dir: string, maxEntries = ROOTFS_MAX_ENTRIES): Promise<{ bytes: number; flooded: boolean }> {
  let bytes = 0;
  let entries = 0;
  const pending = [dir];
  while (pending.length) {
    const current = pending.pop()!;
    let names: fs.Dirent[];
    try {
      names = await fs.promises.readdir(current, { withFileTypes: true });
    } catch {
      continue; // gone meanwhile (the node was removed): nothing to count
    }
    for (const entry of names) {
      if (++entries > maxEntries) return { bytes, flooded: true };
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) pending.push(full);
      else bytes += await fs.promises.lstat(full).then((s) => s.blocks * 512, () => 0);
    }
  }
  return { bytes, flooded: false };
}

interface NodePlaces {
  cluster: string;
  node: string;
  /** The container's writable layer on this host. */
  upper: string | undefined;
  /** The node's own disk file, when it has one. */
  diskImage: string | undefined;
  readOnlyRoot: boolean;
}

export interface DiskGuardDeps {
  docker: Docker;
  instance: string;
  clusterLimitBytes: number;
  /** A folder on the learner disk (its fill is looked at), or null when nodes have no disks of their own. */
  sharedDisk: string | null;
  intervalMs: number;
  /** Reset the cluster (told to its learner with `why`); the guard looks at it again once it is gone. */
  reset: (clusterId: string, why: string) => Promise<void>;
  log: Logger;
}

/** Start looking; returns the function that stops. */
export function startDiskGuard(deps: DiskGuardDeps): () => void {
  const places = new Map<string, NodePlaces>(); // by container id: none of it changes in a container's life
  const resetting = new Set<string>();
  let running = false;

  async function measure(): Promise<NodeUsage[]> {
    const containers = await deps.docker.listContainers({ all: true, filters: labelFilter(deps.instance) });
    const ids = new Set(containers.map((c) => c.Id));
    for (const id of places.keys()) if (!ids.has(id)) places.delete(id);
    const usage: NodeUsage[] = [];
    for (const c of containers) {
      const cluster = c.Labels[LABEL.cluster];
      if (!cluster || resetting.has(cluster)) continue;
      let p = places.get(c.Id);
      if (!p) {
        const info = await deps.docker.getContainer(c.Id).inspect();
        p = {
          cluster,
          node: c.Labels[LABEL.node] ?? c.Names[0] ?? c.Id.slice(0, 12),
          // overlay2's own field (dockerode's type knows only devicemapper's)
          upper: (info.GraphDriver?.Data as { UpperDir?: string } | undefined)?.UpperDir,
          diskImage: nodeDiskOf(c.Mounts)?.image,
          readOnlyRoot: info.HostConfig.ReadonlyRootfs === true,
        };
        places.set(c.Id, p);
      }
      const rootfs = p.upper ? await folderBytes(p.upper) : { bytes: 0, flooded: false };
      const diskBytes = p.diskImage ? await fs.promises.stat(p.diskImage).then((s) => s.blocks * 512, () => 0) : 0;
      usage.push({ cluster: p.cluster, node: p.node, diskBytes, rootfsBytes: rootfs.bytes, rootfsFlooded: rootfs.flooded, readOnlyRoot: p.readOnlyRoot });
    }
    return usage;
  }

  async function round(): Promise<void> {
    if (running) return; // a slow round (a loaded engine) is never run twice at once
    running = true;
    let deadline: NodeJS.Timeout | undefined;
    try {
      // An engine that stops answering must not stop the guard for good: the next round tries again.
      const usage = await Promise.race([
        measure(),
        new Promise<never>((_, reject) => (deadline = setTimeout(() => reject(new Error('the engine did not answer in time')), ROUND_TIMEOUT_MS))),
      ]);
      for (const [cluster, why] of clustersOverLimit(usage, deps.clusterLimitBytes, await nearlyFull(deps.sharedDisk))) {
        deps.log.warn('a cluster went over its disk limit: resetting it', { cluster, why });
        resetting.add(cluster);
        void deps
          .reset(cluster, why)
          .catch((err) => deps.log.error('could not reset a cluster over its disk limit', { cluster, error: errorMessage(err) }))
          .finally(() => resetting.delete(cluster));
      }
    } catch (err) {
      deps.log.warn('disk guard: could not look at the nodes this round', { error: errorMessage(err) });
    } finally {
      clearTimeout(deadline);
      running = false;
    }
  }

  const timer = setInterval(() => void round(), deps.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

async function nearlyFull(dir: string | null): Promise<boolean> {
  if (!dir || !fs.existsSync(dir)) return false; // made with the first node disk
  const s = await fs.promises.statfs(dir);
  return 1 - s.bavail / s.blocks > NEARLY_FULL;
}
