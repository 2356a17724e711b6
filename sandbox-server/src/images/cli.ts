// Build every image (and with --mirror, start the registry mirror) by hand:
//   npx tsx sandbox-server/src/images/cli.ts [--mirror] [--port PORT] [--data-dir DIR]   (defaults: SWB_MIRROR_PORT, SWB_MIRROR_DIR)
//   npx tsx sandbox-server/src/images/cli.ts --stop-mirror [--data-dir DIR]
import Docker from 'dockerode';
import { loadConfig } from '../config.ts';
import { ensureImages } from './index.ts';
import { ensureMirror, stopMirror } from './mirror.ts';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${line}`);
const config = loadConfig();
const dataDir = option('--data-dir') ?? config.SWB_MIRROR_DIR;
const port = Number(option('--port') ?? config.SWB_MIRROR_PORT);

try {
  if (process.argv.includes('--stop-mirror')) {
    await stopMirror(dataDir);
    log(`mirror in ${dataDir} stopped`);
  } else {
    const docker = new Docker();
    const images = await ensureImages(docker, log);
    log(`node image: ${images.node}`);
    log(`lab images: ${images.lab.map((i) => i.name).join(', ')}`);
    if (process.argv.includes('--mirror')) {
      const mirror = await ensureMirror({ docker, port, addr: config.SWB_MIRROR_ADDR, dataDir, images: images.lab, log, registryBin: config.SWB_REGISTRY_BIN });
      log(`mirror: ${mirror.url} (read-only; nodes reach it through their gateway)`);
    }
  }
} catch (err) {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
