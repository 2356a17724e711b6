/**
 * Clusters come and go without leftovers: reset, reaping, and a server killed
 * without shutdown whose next start adopts healthy clusters and removes broken ones.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { LABEL } from '../../sandbox-server/src/engine/labels.ts';
import { closeCodes, paths } from '@contract/protocol.ts';
import { Learner } from '../helpers/learner.ts';
import { docker, freePort, leftovers, removeInstance, startTestServer, waitForHealth } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');

const clusterContainers = async (instance: string) => {
  const list = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL.instance}=${instance}`] }) });
  return list.map((c) => ({ id: c.Id, cluster: c.Labels[LABEL.cluster]!, node: c.Labels[LABEL.node]! }));
};

describe('cluster lifecycle', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups) await c().catch(() => undefined);
  });

  test('reset gives a fresh cluster and removes the old one; reaping removes everything', async () => {
    const server = await startTestServer('lifecycle', { SWB_WORKERS: '1' });
    cleanups.push(async () => {
      await server.close();
      await removeInstance(server.config.SWB_INSTANCE);
    });
    const learner = await Learner.join(server.url);
    await learner.waitReady();
    await learner.open('t-manager', 'manager');
    await learner.run('t-manager', 'docker swarm init >/dev/null; echo ok');
    const before = await clusterContainers(server.config.SWB_INSTANCE);
    assert.equal(before.length, 2);

    const res = await learner.fetch(paths.reset, { method: 'POST' });
    assert.equal(res.status, 202);
    await waitFor(() => learner.messages.some((m) => m.type === 'cluster' && m.cluster.status === 'resetting'), 10_000, 'resetting');
    await learner.waitReady();
    const afterReset = await clusterContainers(server.config.SWB_INSTANCE);
    assert.equal(afterReset.length, 2);
    assert.notEqual(afterReset[0]!.cluster, before[0]!.cluster, 'a new cluster');
    await learner.open('t-manager', 'manager');
    assert.equal((await learner.run('t-manager', 'docker info --format "{{.Swarm.LocalNodeState}}"')).trim(), 'inactive', 'fresh: no swarm');

    // A session past its absolute lifetime is reaped even while connected; its browser is told.
    await server.sandbox.sessions.reap(Date.now() + 30 * 24 * 3600_000);
    await waitFor(() => learner.closeCode !== undefined, 10_000, 'socket closed');
    assert.equal(learner.closeCode, closeCodes.sessionExpired);
    assert.deepEqual(await leftovers(server.config.SWB_INSTANCE), { containers: 0, networks: 0, volumes: 0 });
    assert.equal((await learner.fetch(paths.files)).status, 401, 'the expired cookie is no longer a session');
  });

  test('killed without shutdown: the next start adopts healthy clusters and removes broken ones', async () => {
    const instance = `t-crash-${crypto.randomBytes(2).toString('hex')}`;
    const port = await freePort();
    const env = {
      ...process.env,
      PORT: String(port),
      SWB_INSTANCE: instance,
      SWB_DATA_DIR: path.join(os.tmpdir(), `swb-${instance}`),
      SWB_WORKERS: '1',
      SWB_POOL_SIZE: '1',
      SWB_LOG_LEVEL: 'warn',
    };
    const url = `http://127.0.0.1:${port}`;
    let child = startServerProcess(env);
    cleanups.push(async () => {
      child.kill('SIGKILL');
      await removeInstance(instance);
    });
    await waitForHealth(url, (h) => h.warmClusters === 1, 120_000);

    const learner = await Learner.join(url);
    await learner.waitReady();
    await learner.open('t-manager', 'manager');
    await learner.run('t-manager', 'echo kept > /lab/kept.txt');
    await waitForHealth(url, (h) => h.warmClusters === 1, 120_000); // the pool refilled after the claim
    const owned = learner.cluster!.nodes.map((n) => n.ip).sort();
    const all = await clusterContainers(instance);
    assert.equal(all.length, 4, 'one learner cluster + one warm cluster, 2 nodes each');

    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    learner.close();
    // Break the warm cluster while the server is down: it must be removed, not adopted.
    const learnerCluster = await (async () => {
      for (const c of all) {
        const info = await docker.getContainer(c.id).inspect();
        const ip = Object.values(info.NetworkSettings.Networks)[0]?.IPAddress;
        if (ip && owned.includes(ip)) return c.cluster;
      }
      throw new Error('learner cluster not found');
    })();
    const warmCluster = all.find((c) => c.cluster !== learnerCluster)!.cluster;
    await docker.getContainer(all.find((c) => c.cluster === warmCluster && c.node === 'worker-1')!.id).stop();

    child = startServerProcess(env);
    await waitForHealth(url, (h) => h.sessions === 1 && h.warmClusters === 1, 120_000);
    const again = new Learner(url, learner.cookie);
    await again.connect();
    const info = await again.waitReady();
    assert.deepEqual(info.nodes.map((n) => n.ip).sort(), owned, 'the learner gets the same cluster back');
    await again.open('t-manager', 'manager');
    assert.equal((await again.run('t-manager', 'cat /lab/kept.txt')).trim(), 'kept');
    const now = await clusterContainers(instance);
    assert.ok(!now.some((c) => c.cluster === warmCluster), 'the broken warm cluster was removed');
    assert.equal(now.length, 4, 'adopted learner cluster + a fresh warm cluster, nothing else');
    again.close();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  });
});

function startServerProcess(env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'sandbox-server/src/main.ts'], { cwd: repoRoot, env, stdio: ['ignore', 'inherit', 'inherit'] });
  return child;
}

