/**
 * A disk of its own for everything a node writes (/var/lib/docker, where a learner's images,
 * containers and volumes go, and the few other writable places: NODE_WRITABLE): a sparse XFS file
 * of SWB_NODE_DISK_GB, loop-mounted, its folders bind-mounted into the node.
 * A learner who fills it gets ENOSPC; the host does not notice. (Per-directory XFS project quotas
 * would be lighter, but this kernel has no XFS quota support; a loop filesystem works everywhere.)
 * The files live on the learner engine's own bounded disk, so all nodes together cannot fill the
 * host either.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface NodeDisks {
  /** Folder (on the learner disk) holding one image file and one mount point per node. */
  dir: string;
  sizeMb: number;
  /** Owner of the disk's root directory: the node's root as this host sees it. */
  uid: number;
  gid: number;
}

/**
 * Every place a node may write, each a folder on its own disk. The rest of the node's filesystem is
 * read-only: a file written anywhere else would land on the learner disk that every node shares, and
 * one learner could fill it for all.
 */
export const NODE_WRITABLE: readonly { folder: string; target: string; mode?: number }[] = [
  { folder: 'docker', target: '/var/lib/docker' },
  { folder: 'lab', target: '/lab' },
  { folder: 'root', target: '/root' },
  { folder: 'tmp', target: '/tmp', mode: 0o1777 },
  { folder: 'etc-docker', target: '/etc/docker' }, // dockerd writes its key.json there
];

export function nodeDiskPaths(disks: Pick<NodeDisks, 'dir'>, name: string) {
  return { image: path.join(disks.dir, `${name}.img`), mount: path.join(disks.dir, name) };
}

/** Folders node disks were made in by this process (teardown sweeps them by name prefix). */
const knownDirs = new Set<string>(['/var/lib/swb/learner-engine/data/nodes']);

/** Release every disk whose name starts with `prefix` (a cluster's nodes, after they were removed). */
export async function releaseDisksNamed(prefix: string): Promise<void> {
  for (const dir of knownDirs) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir).filter((n) => n.startsWith(prefix) && n.endsWith('.img'));
    } catch {
      continue;
    }
    await Promise.all(names.map((n) => releaseNodeDisk(path.join(dir, n.slice(0, -4)))));
  }
}

/** Make (or re-mount after a reboot) the disk of one node; returns where it is mounted on this host. */
export async function ensureNodeDisk(disks: NodeDisks, name: string): Promise<string> {
  const p = nodeDiskPaths(disks, name);
  knownDirs.add(disks.dir);
  fs.mkdirSync(p.mount, { recursive: true });
  if (!isMounted(p.mount)) {
    if (!fs.existsSync(p.image)) {
      const fd = fs.openSync(p.image, 'w');
      fs.ftruncateSync(fd, disks.sizeMb * 2 ** 20);
      fs.closeSync(fd);
      await run('mkfs.xfs', ['-q', '-K', p.image]);
    }
    await mountLoop(p.image, p.mount);
  }
  // Also on a disk mounted before (a restart): one made by an older version may lack a folder.
  fs.chownSync(p.mount, disks.uid, disks.gid);
  for (const w of NODE_WRITABLE) {
    const folder = path.join(p.mount, w.folder);
    fs.mkdirSync(folder, { recursive: true });
    fs.chownSync(folder, disks.uid, disks.gid);
    if (w.mode) fs.chmodSync(folder, w.mode);
  }
  return p.mount;
}

/**
 * Mount every node disk in `dir` that is not mounted (after a host reboot). Runs before the learner
 * engine starts: it restarts its nodes at once, and a node whose disk is not mounted would write
 * its /var/lib/docker onto the learner disk itself, past its own size limit.
 */
export async function remountNodeDisks(dir: string): Promise<number> {
  let images: string[] = [];
  try {
    images = fs.readdirSync(dir).filter((n) => n.endsWith('.img'));
  } catch {
    return 0;
  }
  let mounted = 0;
  for (const image of images) {
    const mount = path.join(dir, image.slice(0, -4));
    fs.mkdirSync(mount, { recursive: true });
    if (isMounted(mount)) continue;
    await mountLoop(path.join(dir, image), mount);
    mounted++;
  }
  return mounted;
}

/**
 * Loop-mount a disk image. Mounts at the same moment (a cluster's three nodes, a lazy unmount still
 * letting go of its device) can race for one free loop device, and the loser fails without a word;
 * a later try gets another device.
 */
export async function mountLoop(image: string, mount: string, tries = 4): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      // discard: what a learner deletes goes back to the learner disk (the disk guard counts real bytes).
      await run('mount', ['-o', 'loop,discard', image, mount]);
      return;
    } catch (err) {
      if (isMounted(mount)) return;
      if (attempt >= tries) {
        const { code, signal, message } = err as Error & { code?: number; signal?: string };
        throw new Error(`could not loop-mount ${image} after ${tries} tries (exit ${code ?? signal}): ${message.trim()}`);
      }
      await sleep(200 * attempt);
    }
  }
}

/** Unmount and delete a node's disk given its mount point (a bind source of a removed node). */
export async function releaseNodeDisk(mount: string): Promise<void> {
  if (isMounted(mount)) await run('umount', ['-l', mount]);
  fs.rmSync(`${mount}.img`, { force: true });
  fs.rmSync(mount, { recursive: true, force: true });
}

/**
 * The disk of a node container, from its mounts (its /var/lib/docker is a folder of the disk's
 * mount point): where it is mounted and its image file, or undefined when it has none made here.
 */
export function nodeDiskOf(mounts: readonly { Type: string; Source: string; Destination: string }[]): { mount: string; image: string } | undefined {
  const docker = mounts.find((m) => m.Type === 'bind' && m.Destination === '/var/lib/docker');
  const mount = docker && path.dirname(docker.Source);
  return mount && fs.existsSync(`${mount}.img`) ? { mount, image: `${mount}.img` } : undefined;
}

function isMounted(dir: string): boolean {
  const target = fs.realpathSync(dir);
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === target);
}
