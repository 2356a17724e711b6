/**
 * Everything `npm start` and `npm test` need before serving, installed or
 * started when missing, with visible progress: system packages, a Docker
 * Engine, the images (rebuilt only when their inputs change), the mirror.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectDocker } from '../../sandbox-server/src/engine/docker.ts';
import { ensureImages, type ImageSet } from '../../sandbox-server/src/images/index.ts';
import { ensureMirror } from '../../sandbox-server/src/images/mirror.ts';
import { setupNodeEngine } from '../../sandbox-server/src/isolation/learner-nodes.ts';
import { fenceLearnerNetworks } from '../../sandbox-server/src/isolation/firewall.ts';
import type { Config } from '../../sandbox-server/src/config.ts';
import { engineAnswers, ensureAptPackages, ensureEngine } from './engine.ts';
import { info, step } from './progress.ts';
import { configuredMirror } from '../../sandbox-server/src/isolation/mirror-address.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function prepareHost(config: Config, opts: { browser?: boolean } = {}): Promise<ImageSet> {
  // One apt run for everything (each `apt-get update` costs seconds on a fresh machine).
  const needEngine = !config.DOCKER_HOST && !engineAnswers();
  ensureAptPackages(
    [
      'debootstrap', 'docker-registry', 'iptables',
      // `ip` puts the mirror's own address on lo (isolation/mirror-address.ts).
      ...(config.SWB_MIRROR ? ['iproute2'] : []),
      // The learner engine (--userns-remap) runs on Debian's dockerd too; its disks are XFS files.
      ...(needEngine || config.SWB_ISOLATION === 'userns' ? ['docker.io'] : []),
      ...(config.SWB_ISOLATION === 'userns' ? ['xfsprogs'] : []),
      ...(opts.browser ? ['chromium'] : []),
    ],
    'the Docker Engines, image builds, the registry mirror' + (opts.browser ? ' and browser tests' : ''),
  );
  await ensureEngine(config.dataDir);
  const docker = connectDocker(config.DOCKER_HOST);
  const images = await step('images (built only when their inputs changed)', () => ensureImages(docker, info));
  // Started here like the host engine (the server starts it too when missing) and left running.
  await step('learner engine (user namespaces)', async () => {
    // The firewall first: the engine's nodes (restart unless-stopped) come back with it.
    const fence = () => fenceLearnerNetworks(config.SWB_FIREWALL, configuredMirror(config), { warn: (line) => info(`WARNING: ${line}`) });
    const engine = await setupNodeEngine(config, docker, images.node, { info, warn: (line) => info(`WARNING: ${line}`) }, fence);
    info(engine.isolation === 'userns' ? 'learner nodes: user-namespaced learner engine' : `learner nodes: HARDENED FALLBACK (${engine.note})`);
  });
  if (config.SWB_MIRROR) {
    await step('registry mirror', () =>
      ensureMirror({ docker, port: config.SWB_MIRROR_PORT, addr: config.SWB_MIRROR_ADDR, dataDir: config.SWB_MIRROR_DIR, images: images.lab, log: info, registryBin: config.SWB_REGISTRY_BIN }),
    );
  }
  return images;
}
