/**
 * Node cgroups under a user namespace, delegated the way systemd delegates a subtree: the node's
 * root owns its cgroup directory (so its nested engine can make groups below it for containers)
 * and the files that move processes, never the limit files of its own group. Those (pids.max,
 * cpu.cfs_quota_us, memory.limit_in_bytes, ... and cgroup v2's pids.max, cpu.max, memory.max)
 * stay the host root's, and limits are hierarchical, so nothing below can get past them. (A full
 * `chown -R` once let a learner write `max` into the node's own pids.max.) The node's entrypoint
 * waits for the hand-off before it starts dockerd (images/node/entrypoint.sh).
 */
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';

export interface CgroupOwner {
  uid: number;
  gid: number;
}

/**
 * Wraps a node's command: under a user namespace, wait (30 s at most) until the host has handed
 * over every cgroup directory the node's entrypoint remounted writable, then run the command.
 */
export function waitForCgroups(cmd: string[]): string[] {
  const script = [
    "if ! grep -qE '^ +0 +0 +4294967295' /proc/self/uid_map && [ ! -f /sys/fs/cgroup/cgroup.controllers ]; then",
    '  i=0',
    '  while [ "$i" -lt 300 ]; do',
    '    ok=1',
    '    for d in /sys/fs/cgroup/*/; do [ -w "$d" ] || ok=0; done',
    '    [ "$ok" = 1 ] && break',
    '    i=$((i + 1)); sleep 0.1',
    '  done',
    'fi',
    'exec "$@"',
  ].join('\n');
  return ['sh', '-c', script, 'swb-node', ...cmd];
}

/** Directories of a process's cgroups on the host (one per mounted hierarchy). */
export function cgroupDirs(pid: number): string[] {
  const dirs: string[] = [];
  for (const line of fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
    const m = /^\d+:([^:]*):(\/.*)$/.exec(line.trim());
    if (!m || m[2] === '/') continue;
    const hierarchy = m[1] ? m[1].replace(/^name=/, '') : '';
    const dir = `/sys/fs/cgroup${hierarchy ? `/${hierarchy}` : ''}${m[2]}`;
    if (fs.existsSync(dir)) dirs.push(dir);
  }
  return dirs;
}

/**
 * What a delegated group's owner may write: cgroup v1's `cgroup.procs` and `tasks`; cgroup v2's
 * `cgroup.procs`, `cgroup.threads` and `cgroup.subtree_control` (systemd's delegation set).
 */
export const DELEGATED_FILES = new Set(['cgroup.procs', 'tasks', 'cgroup.threads', 'cgroup.subtree_control']);

/** Hand one cgroup directory to `owner` as a delegated subtree; every other file goes (back) to the host's root. */
export function delegateCgroupDir(dir: string, owner: CgroupOwner): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue; // groups the nested engine made below: theirs already
    const to = DELEGATED_FILES.has(entry.name) ? owner : { uid: 0, gid: 0 };
    fs.chownSync(`${dir}/${entry.name}`, to.uid, to.gid);
  }
  // The directory last: the node's entrypoint starts dockerd once it can write it.
  fs.chownSync(dir, owner.uid, owner.gid);
}

/** Hand-off attempts for a node that keeps restarting under our feet (each on its current process). */
export const HAND_OFF_ATTEMPTS = 3;

/**
 * Whether a failed hand-off is worth another try on the node's current process: only when the
 * process it read is gone (the node restarted between its pid and its cgroups: `/proc/<pid>/cgroup`
 * or a cgroup directory vanished), and not past the last attempt. Anything else is a real error.
 */
export function retryHandOff(err: unknown, attempt: number, pidAlive: boolean): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return attempt < HAND_OFF_ATTEMPTS && !pidAlive && (code === 'ENOENT' || code === 'ESRCH');
}

/**
 * Delegate a running node's cgroup directories to its mapped root; returns the node's pid (0 when
 * not running). A node that restarted meanwhile is handed off again as its new process.
 */
export async function delegateNodeCgroups(docker: Docker, containerId: string, owner: CgroupOwner): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const info = await docker.getContainer(containerId).inspect();
    if (!info.State.Running || !info.State.Pid) return 0;
    const pid = info.State.Pid;
    try {
      for (const dir of cgroupDirs(pid)) delegateCgroupDir(dir, owner);
      return pid;
    } catch (err) {
      if (!retryHandOff(err, attempt, fs.existsSync(`/proc/${pid}`))) throw err;
    }
  }
}

/** Call `onStart` for every node the engine (re)starts, e.g. after dockerd was killed. `nodeLabel`: `key=value` that marks this instance's nodes. */
export function watchNodeStarts(docker: Docker, nodeLabel: string, onStart: (containerId: string) => Promise<void>, onError: (err: unknown) => void): () => void {
  let stopped = false;
  let stream: NodeJS.ReadableStream | undefined;
  const follow = async () => {
    while (!stopped) {
      try {
        stream = (await docker.getEvents({
          filters: { type: ['container'], event: ['start'], label: [nodeLabel] },
        })) as NodeJS.ReadableStream;
        await new Promise<void>((resolve) => {
          let buf = '';
          stream!.on('data', (chunk: Buffer) => {
            buf += chunk.toString('utf8');
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const event = JSON.parse(buf.slice(0, nl)) as { id?: string };
              buf = buf.slice(nl + 1);
              if (event.id) onStart(event.id).catch(onError);
            }
          });
          stream!.on('end', resolve);
          stream!.on('error', () => resolve());
        });
      } catch (err) {
        if (!stopped) onError(err);
      }
      if (!stopped) await sleep(1000);
    }
  };
  void follow();
  return () => {
    stopped = true;
    (stream as unknown as { destroy?: () => void } | undefined)?.destroy?.();
  };
}
