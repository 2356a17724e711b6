/**
 * This host's resources for sizing (clusters/capacity.ts): cores, memory, the learner disk and the
 * pids learner nodes may hold. Read once by loadConfig, so it stays quick: no Docker, no commands,
 * only os facts, two statfs calls and a few /proc files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostPidLimits, learnerPidsBudget, readSysctl } from '../isolation/kernel-quotas.ts';
import type { HostResources } from './capacity.ts';

const XFS_MAGIC = 0x58465342;
/** The kernel's ceiling for kernel.pid_max on 64-bit; the server raises pid_max toward it at start (as root). */
const PID_MAX_LIMIT = 4_194_304;

export function readHostResources(opts: { learnerDir: string; learnerDiskGb: number }): HostResources {
  return {
    cores: os.availableParallelism(),
    memoryMb: Math.floor(os.totalmem() / 2 ** 20),
    learnerDiskGb: learnerDiskGb(opts.learnerDir, opts.learnerDiskGb),
    learnerPids: learnerPids(),
  };
}

/**
 * The learner engine's disk (GiB): its size when mounted or made, else the size the engine will
 * make it (SWB_LEARNER_DISK_GB, at most 80 % of the free space: engine/learner.ts ensureLearnerDisk).
 */
function learnerDiskGb(learnerDir: string, capGb: number): number {
  const GiB = 2 ** 30;
  try {
    const mounted = fs.statfsSync(path.join(learnerDir, 'data'));
    if (mounted.type === XFS_MAGIC) return (mounted.blocks * mounted.bsize) / GiB;
  } catch {
    // not made yet
  }
  try {
    return fs.statSync(path.join(learnerDir, 'disk.xfs')).size / GiB;
  } catch {
    // not made yet
  }
  let dir = path.resolve(learnerDir);
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const { bavail, bsize } = fs.statfsSync(dir);
  return Math.max(4, Math.floor(Math.min(capGb, ((bavail * bsize) / GiB) * 0.8)));
}

/**
 * What the host gives all learner nodes together (`learnerPidsBudget` with no node limit asked):
 * the learner engine is started from this process (the server or `npm start`) and inherits its
 * process rlimit; pid_max counts at what the server may raise it to.
 */
function learnerPids(): number {
  let host;
  try {
    const root = process.getuid?.() === 0;
    host = hostPidLimits(process.pid, root ? Math.max(readSysctl('kernel/pid_max'), PID_MAX_LIMIT) : readSysctl('kernel/pid_max'));
  } catch {
    return Infinity; // no /proc (not Linux): the learner engine cannot run here anyway
  }
  return learnerPidsBudget({ nodes: Infinity, pidsPerNode: 1 }, host).budget;
}
