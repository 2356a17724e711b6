// Builds every image Swarm Workbench needs, each only when its inputs changed.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { ensureBaseImage } from './base.ts';
import { ensureBuilt, type ImageSpec } from './build.ts';
import { visualizerPageFiles } from './bundle.ts';
import { withLock } from '../engine/lock.ts';

export interface LabImage {
  name: string; // reference on the host engine, e.g. 'flask_app:3.0'
  mirrorRepo: string; // what an inner daemon asks the mirror for, e.g. 'library/flask_app:3.0'
}
export interface ImageSet {
  node: string; // reference of the node image to create learner nodes from
  lab: LabImage[];
}

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const imagesDir = `${repoRoot}sandbox-server/images`;

// The node image is tagged with its hash so a running cluster keeps the exact image it was made from.
const NODE: ImageSpec = { tag: 'swb/node:{hash}', context: `${imagesDir}/node` };

/**
 * Images learners pull inside their swarm. To add one (e.g. the visualizer): give it a build context
 * and the repository name its lesson uses; the mirror serves whatever this list contains.
 * Specs in the same lane build one after another (flask 3.0 reuses 2.0's package layer).
 */
const LAB_LANES: Array<Array<ImageSpec & { mirrorRepo: string }>> = [
  [
    { tag: 'flask_app:2.0', mirrorRepo: 'library/flask_app:2.0', context: `${repoRoot}content/files/app`, buildArgs: { APP_VERSION: '2.0' } },
    { tag: 'flask_app:3.0', mirrorRepo: 'library/flask_app:3.0', context: `${repoRoot}content/files/app`, buildArgs: { APP_VERSION: '3.0' } },
  ],
  [{ tag: 'mysql/mysql-server:5.7', mirrorRepo: 'mysql/mysql-server:5.7', context: `${imagesDir}/mysql` }],
  // Stand-in for the seed's visualizer; its page.js is the workbench panel's drawing code, bundled.
  [
    {
      tag: 'dockersamples/visualizer:latest',
      mirrorRepo: 'dockersamples/visualizer:latest',
      context: `${imagesDir}/visualizer`,
      generated: visualizerPageFiles,
    },
  ],
];

export function ensureImages(docker: Docker, log: (line: string) => void): Promise<ImageSet> {
  // Another process (the server, a test run) may be building right now: wait, then find it done.
  return withLock(join(tmpdir(), 'swb-images.lock'), () => buildAll(docker, log));
}

async function buildAll(docker: Docker, log: (line: string) => void): Promise<ImageSet> {
  const started = Date.now();
  await ensureBaseImage(docker, log);
  // Independent lanes run in parallel: builds mostly wait on apt downloads and unpacking.
  const [node] = await Promise.all([
    ensureBuilt(docker, NODE, log),
    ...LAB_LANES.map(async (lane) => {
      for (const spec of lane) await ensureBuilt(docker, spec, log);
    }),
  ]);
  await removeStaleNodeImages(docker, node.tag, log);
  log(`images ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return {
    node: node.tag,
    lab: LAB_LANES.flat().map((s) => ({ name: s.tag, mirrorRepo: s.mirrorRepo })),
  };
}

/** Old hash-tagged node images pile up after rebuilds; drop those no container uses any more. */
async function removeStaleNodeImages(docker: Docker, keep: string, log: (line: string) => void): Promise<void> {
  const images = await docker.listImages({ filters: { reference: ['swb/node'] } });
  for (const image of images) {
    for (const tag of image.RepoTags ?? []) {
      if (tag === keep) continue;
      // Without force, the engine refuses while a container still uses the image: that is what we want.
      await docker
        .getImage(tag)
        .remove()
        .then(() => log(`removed old node image ${tag}`))
        .catch(() => undefined);
    }
  }
}
