/**
 * cgroup v1 under a user namespace: a node's own cgroup directories on the host belong to the
 * host's root, so the node's dockerd (root in the node = an unprivileged uid here) could not make
 * groups for its containers. After each start we hand those directories to the node's root; the
 * node's entrypoint waits for that before it starts dockerd (images/node/entrypoint.sh).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import type Docker from 'dockerode';

const run = promisify(execFile);

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

/** Give a running node's cgroup directories to its mapped root. */
export async function chownNodeCgroups(docker: Docker, containerId: string, owner: CgroupOwner): Promise<void> {
  const info = await docker.getContainer(containerId).inspect();
  if (!info.State.Running || !info.State.Pid) return;
  const dirs = cgroupDirs(info.State.Pid);
  if (dirs.length) await run('chown', ['-R', `${owner.uid}:${owner.gid}`, ...dirs]);
}

/** Fix the cgroups of every node the engine (re)starts, e.g. after dockerd was killed. `nodeLabel`: `key=value` that marks this instance's nodes. */
export function watchNodeStarts(docker: Docker, nodeLabel: string, owner: CgroupOwner, onError: (err: unknown) => void): () => void {
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
              if (event.id) chownNodeCgroups(docker, event.id, owner).catch(onError);
            }
          });
          stream!.on('end', resolve);
          stream!.on('error', () => resolve());
        });
      } catch (err) {
        if (!stopped) onError(err);
      }
      if (!stopped) await new Promise((r) => setTimeout(r, 1000));
    }
  };
  void follow();
  return () => {
    stopped = true;
    (stream as unknown as { destroy?: () => void } | undefined)?.destroy?.();
  };
}
