/**
 * Kernel quotas that every learner node shares, because every node's root is the same host uid
 * (or, for the user-namespace counters, is charged to the engine's root that made the namespace).
 * Four kinds, four treatments:
 * - the keyring (`kernel.keys.maxkeys`/`maxbytes`, per host uid): nodes cannot touch it at all
 *   (seccomp answers ENOSYS, so runc in a node skips its session keyring); what is left is the keys
 *   the learner engine's runc gives each node, which the host's limits are sized for here;
 * - user-namespace counters (inotify instances and watches): each node gets a cap of its own in its
 *   user namespace (it lacks CAP_SYS_RESOURCE to change it), and the host's limits are sized for
 *   every node at that cap, so one learner spends at most their own share;
 * - rlimit counters (pending signals, POSIX message-queue bytes): the learner engine's rlimits are a
 *   ceiling every node shares, which this host cannot raise, so each node's own rlimits are its share;
 * - per-user pipe pages and the host's pid space: sized for every node at its cap, and the learner
 *   engine's cgroup parent gets a pids limit that keeps the host's own processes out of reach.
 * Limits are only ever raised here, never lowered below what the host had.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { delegateNodeCgroups, type CgroupOwner } from '../engine/cgroups.ts';

const run = promisify(execFile);

/** Each node's own caps, written into its user namespace at every start (`capNodeUserns`). */
export const NODE_USERNS_CAPS = { max_inotify_instances: 64, max_inotify_watches: 16384 } as const;
/** Measured: a node holds 2 keys (its session keyring, made by the engine's runc), the first node of a uid 3. */
const KEYS_PER_NODE = 3;
const BYTES_PER_KEY = 100; // measured ~70 (210 bytes for 3 keys)
/** A per-user pipe allowance of the kernel's default (16384 pages) for every node. */
const PIPE_PAGES_PER_NODE = 16384;
/** The host keeps at least this share of its pid space for itself. */
const HOST_PID_SHARE = 0.2;

export interface QuotaNeeds {
  /** Nodes this host runs at most: SWB_MAX_CLUSTERS x (workers + 1). */
  nodes: number;
  /** Each node's pids limit. */
  pidsPerNode: number;
}

export interface Sysctl {
  key: string;
  /** What the configured maximum needs (the host's value is kept when higher). */
  min: number;
  why: string;
}

/** The host sysctls the configured maximum needs. Pure: the doctor and the learner engine both use it. */
export function hostSysctls(needs: QuotaNeeds, defaults = { keys: 200, keyBytes: 20000, inotify: 128, watches: 8192 }): Sysctl[] {
  const n = needs.nodes;
  return [
    { key: 'kernel/keys/maxkeys', min: defaults.keys + n * KEYS_PER_NODE, why: `${KEYS_PER_NODE} keys for each of ${n} nodes` },
    { key: 'kernel/keys/maxbytes', min: defaults.keyBytes + n * KEYS_PER_NODE * BYTES_PER_KEY, why: `the bytes of those keys` },
    { key: 'fs/inotify/max_user_instances', min: defaults.inotify + n * NODE_USERNS_CAPS.max_inotify_instances, why: `${NODE_USERNS_CAPS.max_inotify_instances} inotify instances for each of ${n} nodes` },
    { key: 'fs/inotify/max_user_watches', min: defaults.watches + n * NODE_USERNS_CAPS.max_inotify_watches, why: `${NODE_USERNS_CAPS.max_inotify_watches} inotify watches for each of ${n} nodes` },
    { key: 'fs/pipe-user-pages-soft', min: n * PIPE_PAGES_PER_NODE, why: `${PIPE_PAGES_PER_NODE} pipe pages for each of ${n} nodes` },
    { key: 'kernel/pid_max', min: Math.ceil((n * needs.pidsPerNode) / (1 - HOST_PID_SHARE)), why: `${needs.pidsPerNode} pids for each of ${n} nodes, and the host's own` },
  ];
}

export function readSysctl(key: string): number {
  return Number(fs.readFileSync(path.join('/proc/sys', key), 'utf8').trim().split(/\s+/)[0]);
}

/** The sysctls below what they need, with their current value. */
export function missingSysctls(sysctls: Sysctl[], read = readSysctl): { key: string; current: number; min: number; why: string }[] {
  return sysctls.map((s) => ({ ...s, current: read(s.key) })).filter((s) => s.current < s.min);
}

/** Raise the sysctls that are short (root only); returns what was changed, for the log. */
export function raiseSysctls(sysctls: Sysctl[]): string[] {
  return missingSysctls(sysctls).map((s) => {
    fs.writeFileSync(path.join('/proc/sys', s.key), String(s.min));
    return `${s.key.replaceAll('/', '.')} ${s.current} -> ${s.min} (${s.why})`;
  });
}

/**
 * The pids every learner node together may hold (limit of the learner engine's cgroup parent):
 * what the nodes' own limits add up to, but never more than the host's threads-max, pid space and
 * the engine's process rlimit (every node's shared ceiling, see `nodeUlimits`), less the host's share. Where the two differ, a few learners' fork bombs could still
 * spend the rest: the doctor says so.
 */
export function learnerPidsBudget(needs: QuotaNeeds, host: { threadsMax: number; pidMax: number; engineNproc: number }): { budget: number; fits: boolean } {
  const hostRoom = Math.floor(Math.min(host.threadsMax, host.pidMax, host.engineNproc) * (1 - HOST_PID_SHARE));
  const wanted = needs.nodes * needs.pidsPerNode;
  return { budget: Math.min(wanted, hostRoom), fits: wanted <= hostRoom };
}

/** The host's pid limits for `learnerPidsBudget`: threads-max, pid_max (or what it will be raised to) and a process's nproc rlimit. */
export function hostPidLimits(nprocOf: number, pidMax = readSysctl('kernel/pid_max')): { threadsMax: number; pidMax: number; engineNproc: number } {
  return { threadsMax: readSysctl('kernel/threads-max'), pidMax, engineNproc: hardRlimits(nprocOf)['Max processes'] ?? Infinity };
}

/** Write the learner engine's pids budget on its cgroup parent (cgroup v1 `pids` or v2), made if missing; null when nothing changed. */
export function limitLearnerPids(cgroupParent: string, budget: number): string | null {
  const dir = fs.existsSync('/sys/fs/cgroup/pids') ? `/sys/fs/cgroup/pids/${cgroupParent}` : `/sys/fs/cgroup/${cgroupParent}`;
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'pids.max');
  if (!fs.existsSync(file)) return null; // cgroup v2 without the pids controller delegated here
  // Several servers (instances) may share the learner engine: each raises, none lowers another's.
  const current = fs.readFileSync(file, 'utf8').trim();
  if (current !== 'max' && Number(current) >= budget) return null;
  fs.writeFileSync(file, String(budget));
  return file;
}

/**
 * Write a started node's own caps into its user namespace. `nsenter -U` becomes the namespace's
 * root (host uid of the node's root), which holds CAP_SYS_RESOURCE there; the node's own processes
 * do not (it is dropped), so they cannot raise what is written here.
 */
export async function capNodeUserns(pid: number): Promise<void> {
  const script = Object.entries(NODE_USERNS_CAPS).map(([key, value]) => `echo ${value} > /proc/sys/user/${key}`).join(' && ');
  await run('nsenter', ['-t', String(pid), '-U', 'sh', '-c', script], { timeout: 10_000 });
}

/** Hard rlimits of a process, by their /proc/<pid>/limits names. */
export function hardRlimits(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').slice(1)) {
    const m = /^(.+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    if (m) out[m[1]!] = m[3] === 'unlimited' ? Infinity : Number(m[3]);
  }
  return out;
}

export type Ulimit = { Name: string; Soft: number; Hard: number };

/**
 * The learner engine's rlimits become the ceiling that every node's user namespace shares for the
 * counters the kernel keeps per namespace creator (pending signals, POSIX message queue bytes,
 * processes), and this host cannot raise them (no CAP_SYS_RESOURCE). So each node gets its own
 * share of the ceiling as its rlimit: no learner can spend another's. (Processes: the pids budget.)
 */
export function nodeUlimits(engine: Record<string, number>, nodes: number): Ulimit[] {
  const share = (name: string, fallback: number) => {
    const total = engine[name] ?? fallback;
    const each = Number.isFinite(total) ? Math.floor(total / nodes) : fallback;
    return { Soft: each, Hard: each };
  };
  return [
    { Name: 'sigpending', ...share('Max pending signals', 4096) },
    { Name: 'msgqueue', ...share('Max msgqueue size', 819200) },
  ];
}

/** After every start of a user-namespaced node: its cgroups delegated, its own caps written. */
export async function confineStartedNode(docker: Docker, containerId: string, owner: CgroupOwner): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const pid = await delegateNodeCgroups(docker, containerId, owner);
    if (!pid) return; // not running: its next start is confined by the start watcher
    try {
      return await capNodeUserns(pid);
    } catch (err) {
      // The node restarted between the two (its process is gone, seen once in a loaded CI run): confine the new one.
      if (attempt >= 3 || fs.existsSync(`/proc/${pid}`)) throw err;
    }
  }
}

/**
 * At learner-engine start: raise the host's shared limits for the configured maximum, bound the
 * pids of every node together, and work out each node's own share. Returns what to log and warn.
 */
export function sizeHostForLearners(needs: QuotaNeeds, enginePid: number, cgroupParent: string): { changed: string[]; warnings: string[]; ulimits: Ulimit[] } {
  const warnings: string[] = [];
  let changed: string[] = [];
  try {
    changed = raiseSysctls(hostSysctls(needs));
  } catch (err) {
    warnings.push(`could not raise the host's per-user kernel limits: ${err instanceof Error ? err.message : String(err)}`);
  }
  const pids = learnerPidsBudget(needs, hostPidLimits(enginePid));
  if (!pids.fits) {
    warnings.push(
      `${needs.nodes} nodes x ${needs.pidsPerNode} pids is more than this host gives learners (${pids.budget}): a few learners' fork bombs ` +
        'could leave the others unable to start processes. Lower SWB_NODE_PIDS or SWB_MAX_CLUSTERS.',
    );
  }
  try {
    const file = limitLearnerPids(cgroupParent, pids.budget);
    if (file) changed.push(`${file} = ${pids.budget} (every learner node together)`);
  } catch (err) {
    warnings.push(`could not limit the pids of all learner nodes together: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { changed, warnings, ulimits: nodeUlimits(hardRlimits(enginePid), needs.nodes) };
}
