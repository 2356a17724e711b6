/**
 * Composition root: config -> engine -> images + mirror -> sandbox -> one HTTP
 * server. Run alone (`npm run sandbox`) it serves only /sandbox; scripts/start.ts
 * passes the web app's handler so learners get one URL.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { contentDirOf, labFilesDirOf, lessonsDirOf } from '../../content/dirs.ts';
import { loadConfig, type Config } from './config.ts';
import { connectDocker, pingEngine } from './engine/docker.ts';
import { ensureImages } from './images/index.ts';
import { ensureMirror } from './images/mirror.ts';
import { setupNodeEngine } from './isolation/learner-nodes.ts';
import { fenceLearnerNetworks } from './isolation/firewall.ts';
import { createLogger, errorMessage, type Logger } from './log.ts';
import { startSandbox, type Sandbox } from './sandbox.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface WebApp {
  handleRequest(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** Upgrades that are not the sandbox's (e.g. Next's dev-mode HMR socket). */
  handleUpgrade?(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
}

export interface RunningServer {
  url: string;
  port: number;
  sandbox: Sandbox;
  close(): Promise<void>;
}

export async function runServer(config: Config, log: Logger, web?: WebApp): Promise<RunningServer> {
  const docker = connectDocker(config.DOCKER_HOST);
  const engineVersion = await pingEngine(docker);
  log.info('docker engine', { version: engineVersion });
  const images = await ensureImages(docker, (line) => log.info(line, { part: 'images' }));
  const mirror = config.SWB_MIRROR
    ? await ensureMirror({ docker, port: config.SWB_MIRROR_PORT, addr: config.SWB_MIRROR_ADDR, dataDir: config.SWB_MIRROR_DIR, images: images.lab, log: (line: string) => log.info(line, { part: 'mirror' }), registryBin: config.SWB_REGISTRY_BIN })
    : null;
  const unserved = mirror ? config.SWB_PRELOAD_IMAGES.filter((ref) => !images.lab.some((l) => l.name === ref)) : [];
  if (unserved.length) log.warn('SWB_PRELOAD_IMAGES names images the mirror does not serve: their preload will fail (warm clusters are handed out without them)', { images: unserved.join(',') });
  // Images and the mirror stay on the host engine; learner nodes run on the learner engine.
  const { docker: nodeDocker, ...nodeEngine } = await setupNodeEngine(
    config,
    docker,
    images.node,
    { info: (line) => log.info(line, { part: 'isolation' }), warn: (line) => log.warn(line, { part: 'isolation' }) },
    // Before the learner engine (re)starts and brings its nodes back.
    () => fenceLearnerNetworks(config.SWB_FIREWALL, mirror, log.child({ part: 'firewall' })),
  );
  log.info('learner nodes', { isolation: nodeEngine.isolation, engine: nodeEngine.isolation === 'userns' ? 'learner engine (--userns-remap)' : 'host engine' });
  const sandbox = await startSandbox({
    config,
    docker: nodeDocker,
    nodeEngine,
    nodeImage: images.node,
    mirror,
    labFilesDir: labFilesDirOf(contentDirOf(undefined, repoRoot)),
    lessonsDir: lessonsDirOf(contentDirOf(config.SWB_CONTENT_DIR, repoRoot)),
    log,
  });

  const server = http.createServer((req, res) => {
    if (sandbox.http.handleRequest(req, res)) return;
    if (web) return web.handleRequest(req, res);
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('This is the sandbox server; the web app runs elsewhere.\n');
  });
  server.on('upgrade', (req, socket, head) => {
    if (sandbox.http.handleUpgrade(req, socket, head)) return;
    if (web?.handleUpgrade) web.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, resolve);
  });
  const port = (server.address() as { port: number }).port;
  const url = `http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${port}`;
  return {
    url,
    port,
    sandbox,
    async close() {
      // The sandbox first: it tells browsers (close code 4004) before their sockets are cut.
      const closed = new Promise((r) => server.close(r));
      await sandbox.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

/** Stop on SIGINT/SIGTERM: clusters of learners stay for the next start to adopt. */
export function closeOnSignals(server: RunningServer, log: Logger): void {
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    log.info('shutting down', { signal });
    server.close().then(
      () => process.exit(0),
      (err) => {
        log.error('shutdown failed', { error: errorMessage(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const config = loadConfig({ SWB_WEB: 'false', ...process.env });
  const log = createLogger(config.SWB_LOG_FORMAT, {}, config.SWB_LOG_LEVEL);
  process.on('uncaughtException', (err) => log.error('uncaught exception (server keeps running)', { error: errorMessage(err) }));
  runServer(config, log).then(
    (server) => {
      closeOnSignals(server, log);
      log.info(`sandbox server listening on ${server.url}`);
    },
    (err) => {
      log.error(errorMessage(err));
      process.exit(1);
    },
  );
}
