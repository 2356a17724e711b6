/**
 * Lab images preloaded into warm clusters (SWB_PRELOAD_IMAGES, clusters/preload.ts), on the real
 * engine and real nodes: a warm cluster's nodes hold the image before any learner command, and a
 * worker then starts the seed path's scaled-out task without pulling it; with the setting off, a
 * warm cluster's node does not hold it. One small cluster each (a manager and one worker, then a
 * manager alone). The warm cluster is taken straight from the pool and the pool closed at once, so
 * no refill (another cold start and preload) runs beside the test.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { LiveCluster } from '../../sandbox-server/src/clusters/live.ts';
import { docker, removeInstance, startTestServer } from '../helpers/server.ts';
import { firstScaleOut, holdsImage } from '../helpers/scale-out.ts';
import { waitFor } from '../helpers/wait.ts';

const IMAGE = 'flask_app:3.0';

type Server = Awaited<ReturnType<typeof startTestServer>>;

/** Wait for the pool's warm cluster, then take it (as a claim would) and close the pool: no refill. */
async function takeWarm(server: Server, cleanups: (() => Promise<void>)[]): Promise<{ cluster: LiveCluster; warmMs: number }> {
  const t0 = Date.now();
  await waitFor(() => server.sandbox.pool.readyCount >= 1, 300_000, 'a warm cluster');
  const warmMs = Date.now() - t0;
  const cluster = server.sandbox.pool.take()!;
  // Synchronously, before take()'s queued refill looks (a smaller size would not hold: the workshops'
  // scheduler puts the pool back to its configured size).
  void server.sandbox.pool.drain();
  cleanups.unshift(async () => {
    cluster.closeTerminals();
    cluster.stopWatching();
  });
  return { cluster, warmMs };
}

describe('lab images preloaded into warm clusters', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups) await c().catch(() => undefined);
  });
  const start = async (name: string, env: Record<string, string>) => {
    const server = await startTestServer(name, { SWB_POOL_SIZE: '1', ...env });
    cleanups.push(async () => {
      await server.close();
      await removeInstance(server.config.SWB_INSTANCE);
    });
    return server;
  };

  test('a warm cluster holds the image in every node, and the scaled-out task starts on the worker without a pull', async (t) => {
    const server = await start('preload', { SWB_WORKERS: '1', SWB_PRELOAD_IMAGES: IMAGE });
    assert.ok(server.config.SWB_MIRROR, 'the preload pulls through the mirror');
    const { cluster, warmMs } = await takeWarm(server, cleanups);
    const nodes = cluster.cluster.nodes;
    assert.deepEqual(cluster.preloaded?.map((r) => [r.node, r.image, r.ok, r.error]), nodes.map((n) => [n.name, IMAGE, true, undefined]));
    for (const node of nodes) assert.ok(await holdsImage(node.ip, IMAGE), `${node.name} holds ${IMAGE} (pulled, with its repo digest) before any learner command`);

    const out = await firstScaleOut(docker, nodes, IMAGE);
    const preloadMs = Math.max(...cluster.preloaded!.map((r) => r.ms));
    t.diagnostic(`warm cluster ready in ${(warmMs / 1000).toFixed(1)} s (preload ${(preloadMs / 1000).toFixed(1)} s); scale-out 1 -> ${nodes.length} in ${(out.ms / 1000).toFixed(1)} s; task image ${out.taskImage}`);
    for (const w of out.workerEvents) assert.ok(!w.events.some((e) => e.startsWith('pull ')), `${w.node} pulled nothing for the scale-out (image events: ${w.events.join(', ') || 'none'})`);
    for (const w of out.newImages) assert.deepEqual(w.ids, [], `${w.node} holds no new image after the scale-out`);
  });

  test('with SWB_PRELOAD_IMAGES=none a warm cluster\'s node does not hold the image', async () => {
    const server = await start('preload-off', { SWB_WORKERS: '0', SWB_PRELOAD_IMAGES: 'none' });
    assert.deepEqual(server.config.SWB_PRELOAD_IMAGES, []);
    const { cluster } = await takeWarm(server, cleanups);
    assert.equal(cluster.preloaded, undefined, 'no preload ran');
    const [manager] = cluster.cluster.nodes;
    assert.equal(await holdsImage(manager!.ip, IMAGE), false, `the manager holds no ${IMAGE} without a preload`);
  });
});
