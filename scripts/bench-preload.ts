/**
 * Preloaded lab images (SWB_PRELOAD_IMAGES) for `npm run bench` (alone: `SWB_BENCH_PRELOAD_ONLY=1 npm run bench`):
 *  - each candidate image's pull from the mirror, into the three nodes of a cluster at once: time,
 *    the disk it takes in a node and the node's CPU for it;
 *  - how much longer a warm cluster takes to get ready with the preload than a cold start alone;
 *  - the seed path's first scale-out (`docker service scale app=3` once both workers joined, until
 *    every task runs) on a warm, preloaded cluster, beside the same step on a cluster whose nodes
 *    pulled the image explicitly beforehand (the baseline) and on a cluster without either.
 * A round is three clusters, one after the other (the warm one first, as the pool fills at its server's
 * start), each removed before the next; `SWB_BENCH_PRELOAD_ROUNDS` rounds (default 2), medians printed.
 * Every wait is bounded. Prints numbers; asserts nothing.
 */
import fs from 'node:fs';
import type { LiveCluster } from '../sandbox-server/src/clusters/live.ts';
import { destroyCluster, provisionCluster, type Cluster } from '../sandbox-server/src/clusters/provision.ts';
import { configSchema } from '../sandbox-server/src/config.ts';
import { labArchive, readLabFiles } from '../sandbox-server/src/files/labfiles.ts';
import { configuredMirror } from '../sandbox-server/src/isolation/mirror-address.ts';
import { firstScaleOut, sh, type Node, type ScaleOut } from '../test/helpers/scale-out.ts';
import { docker, removeInstance, startTestServer } from '../test/helpers/server.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { repoRoot } from './lib/prepare.ts';

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const line = (what: string, value: string, baseline?: string, ratio?: number, target?: string) =>
  console.log(`${what.padEnd(44)} ${value.padEnd(22)} ${(baseline ?? '').padEnd(26)} ${ratio !== undefined ? `ratio ${ratio.toFixed(2)}` : ''} ${target ? `(target ${target})` : ''}`);

/** The images whose pull is measured: what the seed path runs on more than one node. */
const CANDIDATES = ['flask_app:3.0', 'mysql/mysql-server:5.7'];
const IMAGE = 'flask_app:3.0';

interface Round {
  warmMs: number;
  preloadMs: number;
  preloadFailed: string[];
  coldMs: number;
  preloaded: ScaleOut;
  none: ScaleOut;
  baseline: ScaleOut;
  pulls: { image: string; ms: number[]; diskMb: number[]; cpuS: number[]; sizeMb: number }[];
}

export async function benchPreload(): Promise<void> {
  const preload = configSchema.shape.SWB_PRELOAD_IMAGES.parse(process.env.SWB_PRELOAD_IMAGES);
  const rounds = Math.max(1, Number(process.env.SWB_BENCH_PRELOAD_ROUNDS) || 2);
  console.log(`\nPreloaded lab images (SWB_PRELOAD_IMAGES=${preload.join(',') || 'none'}; ${rounds} rounds, medians)`);
  if (!preload.includes(IMAGE)) console.log(`  (${IMAGE} is not preloaded: the warm cluster's figure shows a scale-out that pulls)`);
  const all: Round[] = [];
  for (let i = 0; i < rounds; i++) all.push(await round(preload));

  const m = (f: (r: Round) => number) => median(all.map(f));
  for (const [i, ref] of CANDIDATES.entries()) {
    const of = all.map((r) => r.pulls[i]!);
    const ms = of.flatMap((p) => p.ms);
    const disk = of.flatMap((p) => p.diskMb).filter((d) => d >= 0);
    const cpu = of.flatMap((p) => p.cpuS).filter((x) => !Number.isNaN(x));
    line(`pull ${ref}, 3 nodes at once`, `${s(median(ms))} (max ${s(Math.max(...ms))})`, `+${disk.length ? median(disk).toFixed(0) : '?'} MB disk a node`);
    line('', `image ${of[0]!.sizeMb.toFixed(0)} MB unpacked`, `${cpu.length ? median(cpu).toFixed(1) : '?'} core-s CPU a node`);
    if (i > 0) line('', `(pulled after ${CANDIDATES[0]}: shared layers not counted)`);
  }
  const failed = all.flatMap((r) => r.preloadFailed);
  line('warm cluster ready (server start -> ready)', s(m((r) => r.warmMs)), `cold start alone ${s(m((r) => r.coldMs))}`, m((r) => r.warmMs) / m((r) => r.coldMs));
  line('  of which the preload (3 nodes at once)', s(m((r) => r.preloadMs)), failed.length ? `${failed.length} pulls failed: ${failed[0]}` : 'every pull ok');
  line('first service task running (lesson 3)', s(m((r) => r.preloaded.firstTaskMs)), `pulled beforehand ${s(m((r) => r.baseline.firstTaskMs))}`, m((r) => r.preloaded.firstTaskMs) / m((r) => r.baseline.firstTaskMs));
  line('  without preload (the manager pulls)', s(m((r) => r.none.firstTaskMs)), `pulled beforehand ${s(m((r) => r.baseline.firstTaskMs))}`, m((r) => r.none.firstTaskMs) / m((r) => r.baseline.firstTaskMs));
  line('first scale-out to 3, warm (preloaded)', s(m((r) => r.preloaded.ms)), `pulled beforehand ${s(m((r) => r.baseline.ms))}`, m((r) => r.preloaded.ms) / m((r) => r.baseline.ms), '< 5 s');
  line('first scale-out to 3, no preload', s(m((r) => r.none.ms)), `pulled beforehand ${s(m((r) => r.baseline.ms))}`, m((r) => r.none.ms) / m((r) => r.baseline.ms));
  line('  each round: preloaded / beforehand / none', all.map((r) => `${s(r.preloaded.ms)} / ${s(r.baseline.ms)} / ${s(r.none.ms)}`).join(';  '));
  const pulled = (pick: (r: Round) => ScaleOut) =>
    `${all.flatMap((r) => pick(r).workerEvents.filter((w) => w.events.some((e) => e.startsWith('pull ')))).length} of ${all.flatMap((r) => pick(r).workerEvents).length} workers pulled`;
  line('  during the scale-out, preloaded', pulled((r) => r.preloaded));
  line('  pulled beforehand / no preload', `${pulled((r) => r.baseline)} / ${pulled((r) => r.none)}`);
  line('  the tasks\' image', all[0]!.preloaded.taskImage);
}

/** One round: a server whose pool preloads, its warm cluster, then a cold cluster without and one pulled by hand. */
async function round(preload: string[]): Promise<Round> {
  // The pool fills at start: the warm cluster comes first, before any other cluster of this round runs.
  const t0 = Date.now();
  const server = await startTestServer('bench-pre', { SWB_POOL_SIZE: '1', SWB_PRELOAD_IMAGES: preload.join(',') || 'none' });
  const instance = server.config.SWB_INSTANCE;
  const engine = server.sandbox.nodes.engine;
  const archive = await labArchive(readLabFiles(`${repoRoot}/content/files`));
  const cold = async (): Promise<{ cluster: Cluster; ms: number }> => {
    const started = Date.now();
    const cluster = await provisionCluster({
      docker, instance, nodeImage: server.sandbox.nodes.image, workers: 2, isolation: engine.isolation, cgroupOwner: engine.cgroupOwner,
      disks: engine.disks, ulimits: engine.nodeUlimits, subnetRange: server.config.SWB_SUBNET_POOL, mirror: configuredMirror(server.config), labArchive: archive,
      limits: { memoryMb: server.config.SWB_NODE_MEMORY_MB, cpus: server.config.SWB_NODE_CPUS, pids: server.config.SWB_NODE_PIDS },
    });
    return { cluster, ms: Date.now() - started };
  };
  try {
    // 1. The pool's warm cluster, preloaded, taken as a claim takes it; the pool is closed at once, so no
    //    refill runs beside the measures (a smaller size would not hold: the workshops' scheduler restores it).
    await waitFor(() => server.sandbox.pool.readyCount >= 1, 600_000, 'a warm cluster');
    const warmMs = Date.now() - t0;
    const warm: LiveCluster = server.sandbox.pool.take()!;
    void server.sandbox.pool.drain();
    const preloadMs = Math.max(0, ...(warm.preloaded ?? []).map((r) => r.ms));
    const preloadFailed = (warm.preloaded ?? []).filter((r) => !r.ok).map((r) => `${r.node} ${r.image}: ${r.error}`);
    const preloaded = await firstScaleOut(docker, warm.cluster.nodes, IMAGE);
    warm.closeTerminals();
    warm.stopWatching();
    await destroyCluster(docker, instance, warm.id);

    // 2. No preload, no pull beforehand: the workers pull during the scale-out (what learners had).
    const c = await cold();
    const none = await firstScaleOut(docker, c.cluster.nodes, IMAGE);
    await destroyCluster(docker, instance, c.cluster.id);

    // 3. The baseline: every node pulls explicitly beforehand (`docker pull` in each, all at once), then the same step.
    const b = await cold();
    const pulls: Round['pulls'] = [];
    for (const ref of CANDIDATES) {
      const per = await Promise.all(b.cluster.nodes.map((n) => pullIn(n, ref)));
      const size = Number((await sh(docker, b.cluster.nodes[0]!, `docker image inspect --format '{{.Size}}' ${ref}`)).trim());
      pulls.push({ image: ref, ms: per.map((p) => p.ms), diskMb: per.map((p) => p.diskMb), cpuS: per.map((p) => p.cpuS), sizeMb: size / 1e6 });
    }
    const baseline = await firstScaleOut(docker, b.cluster.nodes, IMAGE);
    await destroyCluster(docker, instance, b.cluster.id);
    return { warmMs, preloadMs, preloadFailed, coldMs: median([c.ms, b.ms]), preloaded, none, baseline, pulls };
  } finally {
    await server.close();
    await removeInstance(instance);
  }
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
}

/** `docker pull` in a node: how long, what the node's /var/lib/docker grew by (MB) and the node's CPU meanwhile (core-seconds). */
async function pullIn(node: Node, ref: string): Promise<{ ms: number; diskMb: number; cpuS: number }> {
  const used = async () => Number((await sh(docker, node, 'df -k --output=used /var/lib/docker | tail -1')).trim());
  const before = await used();
  const cpu0 = cpuSeconds(node.containerId);
  const t0 = Date.now();
  await sh(docker, node, `docker pull -q ${ref} >/dev/null`, 300_000);
  const ms = Date.now() - t0;
  return { ms, diskMb: ((await used()) - before) / 1024, cpuS: cpuSeconds(node.containerId) - cpu0 };
}

/** CPU a node used since it started, its nested containers included (cgroup v1 cpuacct), or NaN where that cannot be read. */
function cpuSeconds(containerId: string): number {
  for (const parent of ['swb-learner', 'docker']) {
    try {
      return Number(fs.readFileSync(`/sys/fs/cgroup/cpuacct/${parent}/${containerId}/cpuacct.usage`, 'utf8')) / 1e9;
    } catch {
      // not this engine's cgroup parent
    }
  }
  return NaN;
}
