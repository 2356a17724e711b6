import { setupNodeEngine } from './sandbox-server/src/engine/node-engine.ts';
import { loadConfig } from './sandbox-server/src/config.ts';
import { connectDocker } from './sandbox-server/src/engine/docker.ts';
import { provisionCluster, destroyCluster } from './sandbox-server/src/clusters/provision.ts';
import { labArchive, readLabFiles } from './sandbox-server/src/files/labfiles.ts';
const config = loadConfig({ ...process.env, SWB_ISOLATION: process.env.MODE ?? 'userns' });
const host = connectDocker(undefined);
const image = (await host.listImages()).flatMap((i) => i.RepoTags ?? []).find((t) => t.startsWith('swb/node:'))!;
const ne = await setupNodeEngine(config, host, image, { info: console.log, warn: console.warn });
const archive = await labArchive(readLabFiles('content/files'));
for (let i = 0; i < 2; i++) {
  const t0 = Date.now();
  const c = await provisionCluster({ docker: ne.docker, instance: 'benchprov', nodeImage: image, workers: 2, isolation: ne.isolation, cgroupOwner: ne.cgroupOwner, disks: ne.disks,
    limits: { memoryMb: 1024, cpus: 1, pids: 2048 }, subnetRange: config.SWB_SUBNET_POOL, mirrorPort: 5000, labArchive: archive,
    onProgress: (s) => console.log(Date.now() - t0, s) });
  console.log(ne.isolation, 'cold cluster', Date.now() - t0, 'ms');
  await destroyCluster(ne.docker, 'benchprov', c.id);
}
