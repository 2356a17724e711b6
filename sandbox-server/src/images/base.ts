// The base image every other image builds FROM. Nothing can be pulled on our machines, so it is
// made from Debian packages with debootstrap and imported; built only when it is missing.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { LABEL } from '../engine/labels.ts';
import { followProgress } from './build.ts';

export const BASE_IMAGE = 'swb/debian:bookworm';
const SUITE = 'bookworm';

/** The Debian mirror apt on this machine already uses (so it works on closed networks). */
export async function debianMirror(): Promise<string> {
  const dir = '/etc/apt/sources.list.d';
  const listed = (await readdir(dir).catch(() => [] as string[])).filter((n) => /\.(sources|list)$/.test(n)).sort();
  const candidates = ['/etc/apt/sources.list', ...listed.map((n) => join(dir, n))];
  for (const file of candidates) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const mirror = parseDebianMirror(text);
    if (mirror) return mirror;
  }
  return 'http://deb.debian.org/debian';
}

/** First main-archive URI (not -security) in deb822 or one-line sources format. */
export function parseDebianMirror(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const deb822 = /^URIs:\s*(\S+)/i.exec(line.trim());
    const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+/.exec(line.trim());
    const uri = deb822?.[1] ?? oneLine?.[1];
    if (uri && /\/debian\/?$/.test(uri)) return uri.replace(/\/$/, '');
  }
  return undefined;
}

export async function ensureBaseImage(docker: Docker, log: (line: string) => void): Promise<string> {
  const existing = await docker.getImage(BASE_IMAGE).inspect().catch(() => undefined);
  if (existing) return existing.Id;

  const mirror = await debianMirror();
  const dir = await mkdtemp(join(tmpdir(), 'swb-rootfs-'));
  const started = Date.now();
  try {
    log(`base: debootstrap --variant=minbase ${SUITE} from ${mirror} (about 40 s, once per machine)`);
    await run('debootstrap', ['--variant=minbase', SUITE, dir, mirror], log);
    await slimRootfs(dir, mirror);
    log(`base: importing ${BASE_IMAGE}`);
    const tar = spawn('tar', ['--numeric-owner', '-C', dir, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const stream = await docker.importImage(tar.stdout as unknown as string, {
      repo: 'swb/debian',
      tag: SUITE,
      changes: [
        `LABEL ${LABEL.managed}=true`,
        `LABEL swb.base="debootstrap --variant=minbase ${SUITE}"`,
        'ENV LANG=C.UTF-8',
        'CMD ["bash"]',
      ],
    });
    await followProgress(docker, stream, () => {});
    const image = await docker.getImage(BASE_IMAGE).inspect();
    log(`base: ${BASE_IMAGE} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return image.Id;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Updates + security sources, no docs/man/locales, no apt caches: what Debian's own images do. */
async function slimRootfs(dir: string, mirror: string): Promise<void> {
  const security = mirror.replace(/\/debian$/, '/debian-security');
  await writeFile(
    join(dir, 'etc/apt/sources.list'),
    `deb ${mirror} ${SUITE} main\ndeb ${mirror} ${SUITE}-updates main\ndeb ${security} ${SUITE}-security main\n`,
  );
  await mkdir(join(dir, 'etc/dpkg/dpkg.cfg.d'), { recursive: true });
  await writeFile(
    join(dir, 'etc/dpkg/dpkg.cfg.d/swb-slim'),
    ['/usr/share/doc/*', '/usr/share/man/*', '/usr/share/info/*', '/usr/share/locale/*', '/usr/share/lintian/*']
      .map((p) => `path-exclude ${p}`)
      .join('\n') + '\npath-include /usr/share/doc/*/copyright\n',
  );
  await writeFile(
    join(dir, 'etc/apt/apt.conf.d/90swb'),
    'APT::Install-Recommends "false";\nAcquire::Languages "none";\n' +
      'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };\n',
  );
  // Package installs must never try to start daemons (mariadb, dockerd) inside a build.
  await writeFile(join(dir, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  for (const sub of ['var/cache/apt/archives', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man', 'usr/share/locale']) {
    await run('find', [join(dir, sub), '-mindepth', '1', '-not', '-name', 'lock', '-not', '-name', 'partial', '-not', '-name', 'copyright', '-type', 'f', '-delete'], () => {});
  }
}

function run(cmd: string, args: string[], log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const ticker = setInterval(() => log(`${cmd}: still running...`), 15_000);
    child.on('error', (err) => {
      clearInterval(ticker);
      reject(err);
    });
    child.on('close', (code) => {
      clearInterval(ticker);
      if (code === 0) resolve();
      else reject(new Error(`${cmd} exited with ${code}:\n${tail}`));
    });
  });
}
