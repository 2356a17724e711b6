/**
 * Make sure a Docker Engine answers. On Debian as root with none running, we
 * install Debian's docker.io (if missing) and start dockerd without systemd,
 * as CI machines have no daemon and no init system.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { retryUntil } from '../../sandbox-server/src/retry.ts';
import { step } from './progress.ts';

export function engineAnswers(): boolean {
  try {
    execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { stdio: 'pipe', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

const isRoot = () => process.getuid?.() === 0;
const isDebian = () => fs.existsSync('/etc/debian_version');

/** Install Debian packages that are not installed yet (one apt run for all). */
export function ensureAptPackages(packages: string[], why: string): void {
  const missing = packages.filter((p) => {
    try {
      const status = execFileSync('dpkg-query', ['-W', '-f=${Status}', p], { stdio: 'pipe' }).toString();
      return !status.includes('install ok installed');
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return;
  if (!isRoot() || !isDebian()) {
    throw new Error(`Missing ${missing.join(', ')} (${why}). Install them with your package manager and run again.`);
  }
  step(`installing ${missing.join(' ')} (${why})`, () => {
    execFileSync('apt-get', ['update', '-q'], { stdio: 'pipe' });
    execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], {
      stdio: 'pipe',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  });
}

export async function ensureEngine(dataDir: string): Promise<void> {
  if (process.env.DOCKER_HOST || engineAnswers()) return;
  if (!isRoot() || !isDebian()) {
    throw new Error('No Docker Engine answers. Install Docker (https://docs.docker.com/engine/install/) and start it, or set DOCKER_HOST.');
  }
  ensureAptPackages(['docker.io', 'iptables'], 'the Docker Engine that runs learner clusters');
  fs.mkdirSync(dataDir, { recursive: true });
  const logFile = path.join(dataDir, 'dockerd.log');
  await step(`starting dockerd (log: ${logFile})`, async () => {
    const out = fs.openSync(logFile, 'a');
    spawn('dockerd', [], { detached: true, stdio: ['ignore', out, out] }).unref();
    const up = await retryUntil(engineAnswers, (yes) => yes, { everyMs: 250, deadline: Date.now() + 60_000 });
    if (!up) throw new Error(`dockerd did not answer within 60 s; see ${logFile}`);
  });
}
