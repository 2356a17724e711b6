/**
 * Build the Next.js app when its inputs changed (hash of app/, content/ and
 * config), and hand back its request handler for the one-port server.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { WebApp } from '../../sandbox-server/src/main.ts';
import { step } from './progress.ts';

type NextServerFactory = (opts: { dev: boolean; dir: string }) => {
  prepare(): Promise<void>;
  getRequestHandler(): (req: unknown, res: unknown) => Promise<void>;
  getUpgradeHandler(): (req: unknown, socket: unknown, head: unknown) => Promise<void>;
};
// Next ships CommonJS; require() avoids ESM default-export interop differences between tsc and tsx.
const createNextServer = createRequire(import.meta.url)('next') as NextServerFactory;

// contract/ is the browser-safe code the pages bundle (protocol, check vocabulary, lesson schema, visualizer).
const INPUTS = ['app', 'content', 'contract', 'next.config.mjs', 'tsconfig.json', 'package-lock.json'];

function hashInputs(root: string): string {
  const hash = crypto.createHash('sha256');
  const visit = (p: string) => {
    const full = path.join(root, p);
    if (!fs.existsSync(full)) return;
    if (fs.statSync(full).isDirectory()) {
      for (const name of fs.readdirSync(full).sort()) visit(path.join(p, name));
    } else {
      hash.update(p).update(fs.readFileSync(full));
    }
  };
  INPUTS.forEach(visit);
  return hash.digest('hex');
}

/** `next build` unless the last build had these inputs; a child process, so tests can start beside it. */
export async function buildWebIfChanged(root: string): Promise<void> {
  const stamp = path.join(root, '.next/swb-input-hash');
  const hash = hashInputs(root);
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === hash) return;
  await step('building the web app (next build)', () => nextBuild(root));
  fs.writeFileSync(stamp, hash);
}

function nextBuild(root: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['next', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`next build failed (exit ${code}); its errors are above`))));
  });
}

export async function webApp(root: string, dev: boolean): Promise<WebApp> {
  const app = createNextServer({ dev, dir: root });
  await app.prepare();
  const handle = app.getRequestHandler();
  const upgrade = app.getUpgradeHandler();
  return {
    handleRequest: (req, res) => void handle(req, res),
    handleUpgrade: (req, socket, head) => void upgrade(req, socket, head),
  };
}
