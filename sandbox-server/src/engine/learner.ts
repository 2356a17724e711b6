/**
 * The learner engine: a second Docker Engine, beside the host's, that runs only learner nodes.
 * It is started with `--userns-remap`, so root in a node is an unprivileged uid on this host,
 * on its own socket, data root, exec root, pidfile and address pool. Its data root is a
 * loop-mounted XFS file of bounded size, so learners together can never fill the host's disk
 * (each node's /var/lib/docker is a smaller loop filesystem inside it: see node-disk.ts).
 * Started (idempotently) by `npm start`/`npm test` and by the server itself; never stopped by us
 * except by `stopLearnerEngine` (tests and the doctor do not).
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { retryUntil } from '../retry.ts';
import { withLock } from './lock.ts';
import { remountNodeDisks } from './node-disk.ts';

const run = promisify(execFile);

export interface LearnerEngineOptions {
  /** Everything of the engine lives under here (disk image, its mount, the lock). */
  root: string;
  /** Socket, exec root, pidfile (a tmpfs on most hosts: gone after a reboot, like the engine). */
  runDir: string;
  /** Upper bound of the engine's XFS disk (GiB); also bounded by 80 % of the host's free space. */
  diskGb: number;
  /** Address pool of networks the engine makes by itself (ours take explicit subnets). */
  addressPool: string;
  logFile: string;
}

export interface LearnerEngine {
  docker: Docker;
  socket: string;
  /** Host uid/gid that root in a node is mapped to. */
  rootUid: number;
  rootGid: number;
  /** Mount point of the XFS disk (project quotas apply under it). */
  diskMount: string;
  /** The engine's dockerd. */
  pid: number;
}

export const REMAP_USER = 'dockremap';
/** Every node's cgroups are below this group (the learner pids budget is set on it). */
export const LEARNER_CGROUP_PARENT = 'swb-learner';
const REMAP_SIZE = 65536;

export function learnerPaths(o: Pick<LearnerEngineOptions, 'root' | 'runDir'>) {
  return {
    socket: path.join(o.runDir, 'docker.sock'),
    execRoot: path.join(o.runDir, 'exec'),
    pidfile: path.join(o.runDir, 'dockerd.pid'),
    diskImage: path.join(o.root, 'disk.xfs'),
    diskMount: path.join(o.root, 'data'),
    lock: path.join(o.root, '.lock'),
  };
}

/** Why this host cannot run the learner engine, or null when it can. */
export function learnerEngineBlocker(): string | null {
  if (process.getuid?.() !== 0) return 'the server is not running as root (starting a second Docker Engine needs root)';
  for (const bin of ['dockerd', 'mkfs.xfs', 'xfs_quota', 'losetup']) {
    if (!which(bin)) return `${bin} is not installed (Debian: apt-get install docker.io xfsprogs mount)`;
  }
  if (!fs.existsSync('/etc/subuid') && !which('useradd')) return 'no /etc/subuid and no useradd to make one';
  return null;
}

/** Start the learner engine when it does not answer yet; returns a client for it. */
export async function ensureLearnerEngine(o: LearnerEngineOptions, log: (line: string) => void): Promise<LearnerEngine> {
  const p = learnerPaths(o);
  fs.mkdirSync(o.root, { recursive: true });
  return withLock(p.lock, async () => {
    const docker = new Docker({ socketPath: p.socket });
    if (!(await answers(docker))) {
      const blocker = learnerEngineBlocker();
      if (blocker) throw new Error(blocker);
      ensureRemapUser();
      await ensureLearnerDisk(o, log);
      const remounted = await remountNodeDisks(path.join(p.diskMount, 'nodes'));
      if (remounted) log(`learner engine: mounted ${remounted} node disks again (after a reboot)`);
      await startDaemon(o, docker, log);
    }
    const info = await docker.info();
    const ids = /\/(\d+)\.(\d+)$/.exec(String(info.DockerRootDir));
    if (!ids || !(info.SecurityOptions as string[]).some((s) => s.includes('userns'))) {
      throw new Error(`the engine on ${p.socket} does not run with --userns-remap (root dir ${info.DockerRootDir})`);
    }
    return { docker, socket: p.socket, rootUid: Number(ids[1]), rootGid: Number(ids[2]), diskMount: p.diskMount, pid: Number(fs.readFileSync(p.pidfile, 'utf8').trim()) };
  }, 120_000);
}

/** Stop the learner engine (its nodes stop with it); the disk stays mounted for the next start. */
export async function stopLearnerEngine(o: Pick<LearnerEngineOptions, 'root' | 'runDir'>): Promise<boolean> {
  const p = learnerPaths(o);
  const pid = Number(fs.readFileSync(p.pidfile, 'utf8').trim() || 0);
  if (!pid) return false;
  process.kill(pid, 'SIGTERM');
  await retryUntil(() => fs.existsSync(`/proc/${pid}`), (alive) => !alive, { everyMs: 200, deadline: Date.now() + 60_000 });
  return true;
}

async function answers(docker: Docker): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

/** The `dockremap` user and its subordinate id ranges, made when missing (idempotent). */
export function ensureRemapUser(): void {
  try {
    execFileSync('getent', ['passwd', REMAP_USER], { stdio: 'pipe' });
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', REMAP_USER], { stdio: 'pipe' });
  }
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (text.split('\n').some((l) => l.startsWith(`${REMAP_USER}:`))) continue;
    fs.appendFileSync(file, `${text && !text.endsWith('\n') ? '\n' : ''}${REMAP_USER}:${freeRangeStart(text)}:${REMAP_SIZE}\n`);
  }
}

/** First id above every range already handed out (at least 200000, Docker's usual start). */
export function freeRangeStart(subidFile: string): number {
  let start = 200_000;
  for (const line of subidFile.split('\n')) {
    const [, from, count] = line.trim().split(':');
    if (from && count && Number(from) + Number(count) > start) start = Number(from) + Number(count);
  }
  return start;
}

/** A sparse XFS file, loop-mounted with project quotas, as the engine's data root. */
export async function ensureLearnerDisk(o: LearnerEngineOptions, log: (line: string) => void): Promise<string> {
  const p = learnerPaths(o);
  fs.mkdirSync(p.diskMount, { recursive: true });
  if (isMountPoint(p.diskMount)) return p.diskMount;
  if (!fs.existsSync(p.diskImage)) {
    const { bavail, bsize } = fs.statfsSync(o.root);
    const freeGb = (bavail * bsize) / 2 ** 30;
    const sizeGb = Math.max(4, Math.floor(Math.min(o.diskGb, freeGb * 0.8)));
    log(`learner engine: making a ${sizeGb} GiB sparse XFS disk at ${p.diskImage} (host has ${freeGb.toFixed(0)} GiB free)`);
    const fd = fs.openSync(p.diskImage, 'w');
    fs.ftruncateSync(fd, sizeGb * 2 ** 30);
    fs.closeSync(fd);
    await run('mkfs.xfs', ['-q', p.diskImage]);
  }
  await run('mount', ['-o', 'loop', p.diskImage, p.diskMount]);
  return p.diskMount;
}

function isMountPoint(dir: string): boolean {
  const target = fs.realpathSync(dir);
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === target);
}

async function startDaemon(o: LearnerEngineOptions, docker: Docker, log: (line: string) => void): Promise<void> {
  const p = learnerPaths(o);
  fs.mkdirSync(o.runDir, { recursive: true });
  fs.mkdirSync(path.dirname(o.logFile), { recursive: true });
  // A crashed engine leaves its pidfile; dockerd refuses to start over a live one only.
  await ensureDefaultBridge(o.addressPool);
  const out = fs.openSync(o.logFile, 'a');
  log(`learner engine: starting dockerd --userns-remap on ${p.socket} (log: ${o.logFile})`);
  const child = spawn(
    'dockerd',
    [
      '--userns-remap=default',
      `--host=unix://${p.socket}`,
      `--data-root=${p.diskMount}`,
      `--exec-root=${p.execRoot}`,
      `--pidfile=${p.pidfile}`,
      // Its own default bridge, made beforehand: `--bridge=none` would make dockerd delete the
      // host engine's docker0, and the default name would share it.
      `--bridge=${DEFAULT_BRIDGE}`,
      // No NAT to the outside for learner networks; the firewall closes the rest.
      '--ip-masq=false',
      `--default-address-pool=base=${o.addressPool},size=24`,
      `--cgroup-parent=${LEARNER_CGROUP_PARENT}`,
      '--storage-driver=overlay2',
      '--log-opt=max-size=1m',
    ],
    { detached: true, stdio: ['ignore', out, out] },
  );
  child.unref();
  // An engine that exited will never answer: stop asking at once.
  const state = await retryUntil(async () => ((await answers(docker)) ? 'up' : child.exitCode !== null ? 'exited' : 'starting'), (s) => s !== 'starting', {
    everyMs: 250,
    deadline: Date.now() + 60_000,
  });
  if (state === 'exited') throw new Error(`the learner engine exited (${child.exitCode}); see ${o.logFile}`);
  if (state === 'starting') throw new Error(`the learner engine did not answer within 60 s; see ${o.logFile}`);
}

/** The learner engine's unused default bridge: the last /24 of its address pool, IPv6 off. */
export const DEFAULT_BRIDGE = 'swb-learner0';
async function ensureDefaultBridge(pool: string): Promise<void> {
  const exists = await run('ip', ['link', 'show', DEFAULT_BRIDGE]).then(() => true, () => false);
  if (exists) return;
  const [a, b] = pool.split('.');
  await run('ip', ['link', 'add', DEFAULT_BRIDGE, 'type', 'bridge']);
  await run('ip', ['addr', 'add', `${a}.${b}.255.1/24`, 'dev', DEFAULT_BRIDGE]);
  await run('ip', ['link', 'set', DEFAULT_BRIDGE, 'up']);
}

function which(bin: string): boolean {
  return (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin')
    .split(':')
    .concat(['/usr/sbin', '/sbin'])
    .some((d) => fs.existsSync(path.join(d, bin)));
}
