/**
 * Visualizer figures for `npm run bench` (also runnable alone: `npx tsx scripts/bench-visualizer.ts`):
 *  - panel latency: a `docker service scale` typed in the learner's shell -> the `clusterState` on the
 *    WebSocket that shows it (p50/p95; target p95 <= 1 s), beside the CLI's own round trip;
 *  - server CPU per watched cluster over an idle minute, beside the same clusters unwatched.
 * Prints numbers; asserts nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterState } from '@contract/protocol.ts';
import { INNER_DOCKER_PORT } from '../sandbox-server/src/engine/inner-api.ts';
import { Learner } from '../test/helpers/learner.ts';
import { removeInstance, startTestServer } from '../test/helpers/server.ts';
import { waitFor } from '../test/helpers/wait.ts';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const fmt = (x: number) => `${x.toFixed(0)} ms`;
const line = (what: string, value: string, baseline = '', target = '') => console.log(`${what.padEnd(44)} ${value.padEnd(22)} ${baseline.padEnd(36)} ${target ? `(target ${target})` : ''}`);

function latestState(learner: Learner): ClusterState | undefined {
  for (let i = learner.messages.length - 1; i >= 0; i--) {
    const m = learner.messages[i]!;
    if (m.type === 'clusterState') return m.state;
  }
  return undefined;
}

/** Resolves with the arrival time of the first clusterState that satisfies `ok` (no polling); at once if the latest does. */
function nextState(learner: Learner, ok: (s: ClusterState) => boolean, timeoutMs = 30_000): Promise<number> {
  const now = latestState(learner);
  if (now && ok(now)) return Promise.resolve(performance.now());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      learner.ws.off('message', onMessage);
      reject(new Error('no matching clusterState in time'));
    }, timeoutMs);
    const onMessage = (data: Buffer, binary: boolean) => {
      if (binary) return;
      const msg = JSON.parse(data.toString('utf8')) as { type: string; state?: ClusterState };
      if (msg.type !== 'clusterState' || !ok(msg.state!)) return;
      const at = performance.now();
      clearTimeout(timer);
      learner.ws.off('message', onMessage);
      resolve(at);
    };
    learner.ws.on('message', onMessage);
  });
}

const webTasks = (s: ClusterState) => {
  const id = s.services.find((x) => x.name === 'web')?.id;
  return s.tasks.filter((t) => t.serviceId === id);
};

async function swarmWithService(learner: Learner, joinWorkers: boolean): Promise<void> {
  await learner.waitReady();
  await learner.open('t-manager', 'manager');
  await learner.run('t-manager', 'docker swarm init >/dev/null');
  if (joinWorkers) {
    await learner.run('t-manager', `for w in worker-1 worker-2; do docker -H $w:${INNER_DOCKER_PORT} swarm join --token $(docker swarm join-token -q worker) manager:2377; done`);
  }
  await learner.run('t-manager', 'docker service create --detach --name web --replicas 1 --endpoint-mode dnsrr flask_app:3.0 >/dev/null');
}

export async function benchVisualizer(): Promise<void> {
  const server = await startTestServer('bench-viz');
  const instance = server.config.SWB_INSTANCE;
  console.log('\nVisualizer');
  try {
    // 1. Latency from `docker service scale` to the picture on the WebSocket.
    const learner = await Learner.join(server.url);
    await swarmWithService(learner, true);
    await waitFor(() => learner.messages.some((m) => m.type === 'clusterState' && webTasks(m.state).some((t) => t.state === 'running')), 120_000, 'web running');
    const fromTyped: number[] = [];
    const fromReturned: number[] = [];
    const cli: number[] = [];
    for (let round = 0; round < 10; round++) {
      for (const replicas of [3, 1]) {
        const seen = nextState(learner, (s) => webTasks(s).length === replicas);
        const typed = performance.now();
        await learner.run('t-manager', `docker service scale --detach web=${replicas} >/dev/null`);
        const returned = performance.now();
        const at = await seen;
        fromTyped.push(at - typed);
        fromReturned.push(Math.max(0, at - returned));
        cli.push(returned - typed);
        // Start every round from a settled cluster.
        await nextState(learner, (s) => webTasks(s).length === replicas && webTasks(s).every((t) => t.state === 'running'), 60_000).catch(() => undefined);
      }
    }
    line('scale typed -> picture p50', fmt(pct(fromTyped, 50)), `CLI round trip p50 ${fmt(pct(cli, 50))}`);
    line('scale typed -> picture p95', fmt(pct(fromTyped, 95)), `CLI round trip p95 ${fmt(pct(cli, 95))}`, '<= 1000 ms');
    line('CLI returned -> picture p50 / p95', `${fmt(pct(fromReturned, 50))} / ${fmt(pct(fromReturned, 95))}`, `(${fromTyped.length} scale-ups and -downs)`);
    learner.close();

    // 2. CPU of this process per watched, idle cluster.
    const clusters = Number(process.env.SWB_BENCH_VIZ_CLUSTERS ?? 3);
    const idleMs = Number(process.env.SWB_BENCH_IDLE_S ?? 60) * 1000;
    const learners: Learner[] = [];
    for (let i = 0; i < clusters; i++) {
      const l = await Learner.join(server.url);
      await swarmWithService(l, false);
      learners.push(l);
    }
    await waitFor(() => learners.every((l) => l.messages.some((m) => m.type === 'clusterState' && webTasks(m.state).some((t) => t.state === 'running'))), 120_000, 'every service running');
    await sleep(3_000); // let follow-up reads settle
    const watched = await cpuOver(idleMs);
    // The same clusters with nobody watching: sockets closed, event streams stopped.
    for (const l of learners) l.close();
    await sleep(1_000);
    const unwatched = await cpuOver(idleMs / 2);
    const perClusterPerMin = (watched.cpuMs / (idleMs / 60_000) - unwatched.cpuMs / (idleMs / 2 / 60_000)) / clusters;
    line(
      `server CPU per watched idle cluster`,
      `${Math.max(0, perClusterPerMin).toFixed(1)} ms/min`,
      `${clusters} watched ${((watched.cpuMs / idleMs) * 100).toFixed(2)}% core, unwatched ${((unwatched.cpuMs / (idleMs / 2)) * 100).toFixed(2)}%`,
    );
  } finally {
    await server.close();
    await removeInstance(instance);
  }
}

async function cpuOver(ms: number): Promise<{ cpuMs: number }> {
  const start = process.cpuUsage();
  await sleep(ms);
  const used = process.cpuUsage(start);
  return { cpuMs: (used.user + used.system) / 1000 };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  benchVisualizer().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
