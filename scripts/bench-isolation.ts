/**
 * Isolation figures, both modes in the same run: cold cluster, a warm learner's first prompt byte
 * and idle memory per cluster, for `userns` (the learner engine, the default) beside `hardened`
 * (the host engine with the same capabilities and seccomp profile: the old engine path).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { labArchive, readLabFiles } from '../sandbox-server/src/files/labfiles.ts';
import { destroyCluster, provisionCluster } from '../sandbox-server/src/clusters/provision.ts';
import { paths } from '@contract/protocol.ts';
import { Learner } from '../test/helpers/learner.ts';
import { removeInstance, startTestServer } from '../test/helpers/server.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { repoRoot } from './lib/prepare.ts';
import { configuredMirror } from '../sandbox-server/src/isolation/mirror-address.ts';

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Figures {
  cold: number;
  firstByte: number;
  memoryMb: number;
}

async function measure(isolation: 'userns' | 'hardened'): Promise<Figures> {
  const server = await startTestServer(`bench-${isolation}`, { SWB_ISOLATION: isolation, SWB_POOL_SIZE: '1' });
  const { sandbox, config } = server;
  const engine = sandbox.nodes.docker;
  try {
    const archive = await labArchive(readLabFiles(`${repoRoot}/content/files`));
    const cold: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = process.hrtime.bigint();
      const c = await provisionCluster({
        docker: engine, instance: config.SWB_INSTANCE, nodeImage: sandbox.nodes.image, workers: 2, isolation: sandbox.facts.isolation,
        cgroupOwner: sandbox.nodes.engine.cgroupOwner, disks: sandbox.nodes.engine.disks,
        limits: { memoryMb: 1024, cpus: 1, pids: 2048 }, subnetRange: config.SWB_SUBNET_POOL, mirror: configuredMirror(config), labArchive: archive,
      });
      cold.push(ms(t0));
      await destroyCluster(engine, config.SWB_INSTANCE, c.id);
    }
    const firstByte: number[] = [];
    for (let i = 0; i < 3; i++) {
      await waitFor(async () => ((await (await fetch(`${server.url}${paths.health}`)).json()) as { warmClusters: number }).warmClusters >= 1, 180_000, 'warm cluster');
      const t0 = process.hrtime.bigint();
      const learner = await Learner.join(server.url);
      const first = new Promise<void>((resolve) => (learner.onOutput = () => resolve()));
      learner.send({ type: 'open', terminalId: 't-manager', node: 'manager', cols: 80, rows: 24 });
      await first;
      firstByte.push(ms(t0));
      learner.close();
      await sandbox.sessions.reap(Date.now() + 1e12);
    }
    await waitFor(async () => ((await (await fetch(`${server.url}${paths.health}`)).json()) as { warmClusters: number }).warmClusters >= 1, 180_000, 'warm cluster');
    await sleep(5000); // idle: inner dockerd settled
    const ids = (await engine.listContainers({ filters: JSON.stringify({ label: [`swb.instance=${config.SWB_INSTANCE}`] }) })).map((c) => c.Id);
    const stats = await Promise.all(ids.map(async (id) => ((await engine.getContainer(id).stats({ stream: false })) as { memory_stats: { usage: number; stats?: { cache?: number } } }).memory_stats));
    const memoryMb = stats.reduce((n, m) => n + (m.usage - (m.stats?.cache ?? 0)), 0) / 1e6 / Math.max(1, ids.length / 3);
    return { cold: median(cold), firstByte: median(firstByte), memoryMb };
  } finally {
    await server.close();
    await removeInstance(config.SWB_INSTANCE);
  }
}

export async function benchIsolation(): Promise<void> {
  const hardened = await measure('hardened');
  const userns = await measure('userns');
  const row = (what: string, a: string, b: string, ratio?: number, target?: string) =>
    console.log(`${what.padEnd(44)} ${a.padEnd(22)} ${b.padEnd(26)} ${ratio !== undefined ? `ratio ${ratio.toFixed(2)}` : ''} ${target ? `(target ${target})` : ''}`);
  console.log('\nIsolation: userns (learner engine) beside hardened (host engine), same run');
  row('cold cluster (3 nodes, dockerd ready) p50', `${userns.cold.toFixed(0)} ms`, `hardened ${hardened.cold.toFixed(0)} ms`, userns.cold / hardened.cold, '<= 1.3');
  row('warm pool: join to first prompt byte p50', `${userns.firstByte.toFixed(1)} ms`, `hardened ${hardened.firstByte.toFixed(1)} ms`, userns.firstByte / hardened.firstByte);
  row('memory per idle cluster (3 nodes)', `${userns.memoryMb.toFixed(0)} MB`, `hardened ${hardened.memoryMb.toFixed(0)} MB`, userns.memoryMb / hardened.memoryMb);
}
