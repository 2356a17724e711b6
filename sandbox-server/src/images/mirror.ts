// The local registry mirror the learner nodes pull lab images from. Debian's docker-registry
// (distribution 2.8) runs as a plain detached process: seeded while bound to 127.0.0.1 and writable,
// then served read-only on its own address only (isolation/mirror-address.ts), which nodes reach
// through their network's gateway.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, existsSync } from 'node:fs';
import { mkdir, readFile, writeFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { followProgress } from './build.ts';
import { withLock } from '../engine/lock.ts';
import { retryUntil } from '../retry.ts';
import type { LabImage } from './index.ts';
import { ensureMirrorAddress, mirrorHost, type MirrorEndpoint } from '../isolation/mirror-address.ts';
import { registryConfig, sameSeed, seedRecord, splitRepoTag, type SeededImage } from './mirror-config.ts';

export interface MirrorOptions {
  docker: Docker;
  port: number;
  /** The one address it serves on (SWB_MIRROR_ADDR, parsed in config.ts). */
  addr: string;
  dataDir: string;
  images: LabImage[];
  log: (line: string) => void;
  /** The registry binary (SWB_REGISTRY_BIN, parsed in config.ts). */
  registryBin: string;
}

// Files in the data dir.
const files = (dataDir: string) => ({
  storage: join(dataDir, 'storage'),
  pid: join(dataDir, 'registry.pid'),
  state: join(dataDir, 'registry.json'), // { pid, port, addr } of the read-only server
  log: join(dataDir, 'registry.log'),
  serveConfig: join(dataDir, 'serve.yml'),
  seedConfig: join(dataDir, 'seed.yml'),
  seeded: join(dataDir, 'seeded.json'),
  lock: join(dataDir, '.lock'),
});

export async function ensureMirror(opts: MirrorOptions): Promise<MirrorEndpoint & { url: string }> {
  const { docker, port, addr, dataDir, log, registryBin } = opts;
  const f = files(dataDir);
  const url = `http://${mirrorHost({ addr, port })}`;
  if (!existsSync(registryBin)) {
    throw new Error(`${registryBin} not found: install it with \`apt-get install -y docker-registry\``);
  }
  await mkdir(f.storage, { recursive: true });
  await ensureMirrorAddress(addr);

  const wanted: SeededImage[] = [];
  for (const image of opts.images) {
    const info = await docker.getImage(image.name).inspect().catch(() => undefined);
    if (!info) throw new Error(`mirror: image ${image.name} is not built`);
    wanted.push({ mirrorRepo: image.mirrorRepo, id: info.Id });
  }

  return withLock(f.lock, async () => {
    const seeded = await readJson<SeededImage[]>(f.seeded);
    const running = await runningServer(dataDir);
    if (running && running.port === port && running.addr === addr && sameSeed(seeded, wanted) && (await serves(url, wanted))) {
      log(`mirror: reusing registry pid ${running.pid} on ${mirrorHost({ addr, port })}`);
      return { addr, port, url };
    }
    if (running) {
      log(`mirror: restarting registry pid ${running.pid}`);
      await stopMirror(dataDir);
    }
    if (!sameSeed(seeded, wanted)) {
      await seed(opts, wanted);
      await writeFile(f.seeded, JSON.stringify(seedRecord(wanted), null, 2) + '\n');
    } else {
      log('mirror: content unchanged, not re-seeding');
    }
    await serveReadOnly(registryBin, dataDir, { addr, port }, log);
    if (!(await serves(url, wanted))) {
      // The record said seeded but the storage disagrees (e.g. it was deleted): seed once more.
      log('mirror: storage does not match the seed record, re-seeding');
      await stopMirror(dataDir);
      await seed(opts, wanted);
      await writeFile(f.seeded, JSON.stringify(seedRecord(wanted), null, 2) + '\n');
      await serveReadOnly(registryBin, dataDir, { addr, port }, log);
      if (!(await serves(url, wanted))) throw new Error(`mirror: ${url} does not serve the seeded images; see ${f.log}`);
    }
    return { addr, port, url };
  });
}

export async function stopMirror(dataDir: string): Promise<void> {
  const f = files(dataDir);
  const pid = Number((await readFile(f.pid, 'utf8').catch(() => '')).trim());
  if (pid && (await isRegistry(pid))) {
    process.kill(pid, 'SIGTERM');
    const gone = () => retryUntil(() => exited(pid), (yes) => yes, { everyMs: 100, deadline: Date.now() + 5000 });
    if (!(await gone())) {
      process.kill(pid, 'SIGKILL');
      await gone();
    }
  }
  await rm(f.pid, { force: true });
  await rm(f.state, { force: true });
}

/** Push the images to a private, writable registry on a loopback port, then stop it. */
async function seed(opts: MirrorOptions, wanted: SeededImage[]): Promise<void> {
  const { docker, dataDir, log } = opts;
  const f = files(dataDir);
  const started = Date.now();
  // The serving port, but on loopback only: nodes cannot push meanwhile, and because the registry
  // address stays the same the engine remembers which layers it already pushed there (fast re-seeds).
  const seedPort = opts.port;
  await ensurePortFree(seedPort);
  await writeFile(f.seedConfig, registryConfig({ addr: `127.0.0.1:${seedPort}`, rootDir: f.storage, readonly: false }));
  const logFd = openSync(f.log, 'a');
  const child = spawn(opts.registryBin, ['serve', f.seedConfig], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  try {
    await waitHealthy(`http://127.0.0.1:${seedPort}`, child, f.log);
    for (const image of opts.images) {
      // The engine treats 127.0.0.0/8 registries as insecure (plain HTTP) by default.
      const { repo, tag } = splitRepoTag(image.mirrorRepo);
      const target = `127.0.0.1:${seedPort}/${repo}`;
      log(`mirror: seeding ${image.mirrorRepo}`);
      await docker.getImage(image.name).tag({ repo: target, tag });
      try {
        const stream = await docker.getImage(`${target}:${tag}`).push({ authconfig: {} } as object);
        const events = await followProgress(docker, stream, () => {});
        const failure = events.find((e) => e.error);
        if (failure) throw new Error(`mirror: push of ${image.name} failed: ${failure.error}`);
      } finally {
        await docker.getImage(`${target}:${tag}`).remove({ noprune: true }).catch(() => undefined);
      }
    }
  } finally {
    child.kill('SIGTERM');
    await retryUntil(() => child.exitCode !== null || child.signalCode !== null, (yes) => yes, { everyMs: 100, deadline: Date.now() + 5000 });
  }
  // Layers of images that were replaced are no longer referenced by any tag: reclaim the space.
  await run(opts.registryBin, ['garbage-collect', '--delete-untagged', f.seedConfig]);
  log(`mirror: seeded ${wanted.length} images in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Start the read-only registry as a detached process that outlives this one. */
async function serveReadOnly(registryBin: string, dataDir: string, at: MirrorEndpoint, log: (line: string) => void): Promise<void> {
  const f = files(dataDir);
  await ensurePortFree(at.port);
  await writeFile(f.serveConfig, registryConfig({ addr: mirrorHost(at), rootDir: f.storage, readonly: true }));
  const logFd = openSync(f.log, 'a');
  const child = spawn(registryBin, ['serve', f.serveConfig], { detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  child.unref();
  if (!child.pid) throw new Error('mirror: could not start docker-registry');
  await writeFile(f.pid, `${child.pid}\n`);
  await writeFile(f.state, JSON.stringify({ pid: child.pid, ...at }) + '\n');
  await waitHealthy(`http://${mirrorHost(at)}`, child, f.log);
  log(`mirror: serving read-only on ${mirrorHost(at)} only (pid ${child.pid}, log ${f.log})`);
}

async function runningServer(dataDir: string): Promise<(MirrorEndpoint & { pid: number }) | undefined> {
  // A record without addr is a registry of an older version, serving on every interface.
  const state = await readJson<Partial<MirrorEndpoint> & { pid: number; port: number }>(files(dataDir).state);
  if (!state || !(await isRegistry(state.pid))) return undefined;
  const addr = state.addr ?? '127.0.0.1';
  return (await answers(`http://${mirrorHost({ addr, port: state.port })}`)) ? { ...state, addr: state.addr ?? '0.0.0.0' } : undefined;
}

/** True when every image is there under its name with the expected image id (= config digest). */
async function serves(url: string, wanted: SeededImage[]): Promise<boolean> {
  for (const { mirrorRepo, id } of wanted) {
    const { repo, tag } = splitRepoTag(mirrorRepo);
    const res = await fetch(`${url}/v2/${repo}/manifests/${tag}`, {
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    }).catch(() => undefined);
    if (!res?.ok) return false;
    const manifest = (await res.json()) as { config?: { digest?: string } };
    if (manifest.config?.digest !== id) return false;
  }
  return true;
}

async function answers(url: string): Promise<boolean> {
  const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
  return res?.status === 200;
}

async function waitHealthy(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const ok = await retryUntil(async () => child.exitCode !== null || (await answers(url)), (yes) => yes, { everyMs: 100, deadline: Date.now() + 10_000 });
  if (!ok || child.exitCode !== null) {
    const tail = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-10).join('\n');
    throw new Error(`mirror: docker-registry did not come up on ${url}:\n${tail}`);
  }
}

/** Our registry, not some other process that got the pid after a reboot. */
async function isRegistry(pid: number): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.includes('registry') && cmdline.includes('serve');
}

/** Exited, not merely exiting: a dying process loses its cmdline before it closes its sockets. */
async function exited(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return !stat || state === 'Z' || state === 'X';
}

/** Free now, or within a few seconds (a registry we just stopped may still be letting go of it). */
async function ensurePortFree(port: number): Promise<void> {
  const portFree = () =>
    new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
    });
  if (!(await retryUntil(portFree, (free) => free, { everyMs: 250, timeoutMs: 10_000 }))) {
    throw new Error(`mirror: port ${port} is in use by another program; choose another port`);
  }
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args[0]} failed: ${err}`))));
  });
}
