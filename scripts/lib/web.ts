/**
 * Build the Next.js app when its inputs changed (hash of app/, content/ and
 * config), and hand back its request handler for the one-port server.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
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
  const visit = (base: string, p: string) => {
    const full = path.join(base, p);
    if (!fs.existsSync(full)) return;
    if (fs.statSync(full).isDirectory()) {
      for (const name of fs.readdirSync(full).sort()) visit(base, path.join(p, name));
    } else {
      hash.update(p).update(fs.readFileSync(full));
    }
  };
  INPUTS.forEach((p) => visit(root, p));
  // The pages read lessons from SWB_CONTENT_DIR when it is set (app/_lib/content/lessons.ts).
  const contentDir = process.env.SWB_CONTENT_DIR;
  if (contentDir) visit(path.resolve(root, contentDir), '.');
  hash.update(`SWB_CONTENT_DIR=${contentDir ?? ''}`);
  return hash.digest('hex');
}

/** Where finished builds are kept by input hash, beside the npm install copies (scripts/bootstrap.sh). */
export const cacheDir = () => process.env.SWB_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'swarm-workbench');
/** The only files of a build that name the folder it was built in (Next's server reads `appDir` from them). */
const ROOT_NAMING_FILES = ['required-server-files.json', 'required-server-files.js'];
const BUILT_IN = 'swb-built-in';

/**
 * `next build` unless the last build had these inputs. A build of the same inputs made in another
 * checkout (a fresh clone of the same commit: CI, a second worktree) is copied instead: the hash
 * covers every input, and the folder name the build recorded is rewritten to this one.
 * The build runs as a child process, so tests can start beside it.
 */
export async function buildWebIfChanged(root: string): Promise<void> {
  const out = path.join(root, '.next');
  const stamp = path.join(out, 'swb-input-hash');
  const hash = hashInputs(root);
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === hash) return;
  const cached = path.join(cacheDir(), `web-${hash.slice(0, 24)}`);
  if (fs.existsSync(cached)) {
    await step(`the web app: the build of these inputs from ${cached}`, () => restoreBuild(cached, out, root));
  } else {
    await step('building the web app (next build)', () => nextBuild(root));
    keepBuild(out, cached, root);
  }
  fs.writeFileSync(stamp, hash);
}

async function restoreBuild(cached: string, out: string, root: string): Promise<void> {
  fs.rmSync(out, { recursive: true, force: true });
  await fs.promises.cp(cached, out, { recursive: true, verbatimSymlinks: true });
  const builtIn = fs.readFileSync(path.join(out, BUILT_IN), 'utf8');
  for (const name of ROOT_NAMING_FILES) {
    const file = path.join(out, name);
    if (fs.existsSync(file)) fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replaceAll(JSON.stringify(builtIn).slice(1, -1), JSON.stringify(root).slice(1, -1)));
  }
}

/** Copy the build (not Next's own compiler cache) for the next checkout; keep the two newest. Best effort. */
function keepBuild(out: string, cached: string, root: string): void {
  try {
    fs.mkdirSync(cacheDir(), { recursive: true });
    const partial = `${cached}.partial.${process.pid}`;
    fs.cpSync(out, partial, { recursive: true, verbatimSymlinks: true, filter: (src) => src !== path.join(out, 'cache') });
    fs.writeFileSync(path.join(partial, BUILT_IN), root);
    fs.renameSync(partial, cached);
    const builds = fs
      .readdirSync(cacheDir())
      .filter((n) => n.startsWith('web-') && !n.includes('.partial.'))
      .map((n) => path.join(cacheDir(), n))
      .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
    for (const old of builds.slice(2)) fs.rmSync(old, { recursive: true, force: true });
  } catch {
    // a cache that cannot be written only costs the next checkout a build
  }
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
