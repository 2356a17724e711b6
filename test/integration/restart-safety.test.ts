/**
 * kill -9 of the server (a child process) with 3 learners on clusters, then a start with the same
 * data dir and instance: the learners with session rows get their own clusters back; a cluster
 * that was handed out but whose row is gone (as after the old teardown order: row deleted, then
 * killed before the teardown) is destroyed, never handed to a new learner; a warm cluster nobody
 * ever had goes back to the pool; nothing is left that nobody owns.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { LABEL } from '../../sandbox-server/src/engine/labels.ts';
import { hashToken } from '../../sandbox-server/src/sessions/manager.ts';
import { Learner } from '../helpers/learner.ts';
import { docker, freePort, removeInstance, waitForHealth } from '../helpers/server.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups) await c().catch(() => undefined);
});

/** Cluster id of every node container, by the node's IP (what a learner is told). */
async function clustersByIp(instance: string): Promise<Map<string, string>> {
  const list = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL.instance}=${instance}`] }) });
  const map = new Map<string, string>();
  for (const c of list) {
    const ip = Object.values(c.NetworkSettings?.Networks ?? {})[0]?.IPAddress;
    if (ip) map.set(ip, c.Labels[LABEL.cluster]!);
  }
  return map;
}

async function clusterIds(instance: string): Promise<Set<string>> {
  const list = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL.instance}=${instance}`] }) });
  return new Set(list.map((c) => c.Labels[LABEL.cluster]!));
}

test('kill -9 with 3 learners: no used cluster is handed to a new learner, 0 orphans after reconcile', async () => {
  const instance = `t-restart-${crypto.randomBytes(2).toString('hex')}`;
  const port = await freePort();
  const dataDir = path.join(os.tmpdir(), `swb-${instance}`);
  const env = { ...process.env, PORT: String(port), SWB_INSTANCE: instance, SWB_DATA_DIR: dataDir, SWB_WORKERS: '0', SWB_POOL_SIZE: '1', SWB_WEB: 'false', SWB_LOG_LEVEL: 'warn', SWB_TRUSTED_PROXY: '127.0.0.1', SWB_ANON_SHARE: '100' };
  // (Learners come from their own addresses through a trusted proxy, as in every test server: see testConfig.)
  const url = `http://127.0.0.1:${port}`;
  let child = startServerProcess(env);
  cleanups.push(async () => {
    child.kill('SIGKILL');
    await removeInstance(instance);
  });
  await waitForHealth(url, (h) => h.warmClusters === 1, 180_000);

  const learners: Learner[] = [];
  for (let i = 0; i < 3; i++) learners.push(await Learner.join(url));
  await Promise.all(learners.map((l) => l.waitReady(180_000)));
  await learners[0]!.open('t-manager', 'manager');
  await learners[0]!.run('t-manager', 'echo mine > /lab/mine.txt');
  await waitForHealth(url, (h) => h.warmClusters === 1, 180_000); // a warm cluster nobody ever had
  const byIp = await clustersByIp(instance);
  const used = learners.map((l) => byIp.get(l.cluster!.nodes[0]!.ip)!);
  const warm = [...(await clusterIds(instance))].find((id) => !used.includes(id))!;
  assert.equal(new Set(used).size, 3);
  assert.ok(warm);

  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  for (const l of learners) l.ws.terminate();
  // Learner 3's row is gone while their cluster still runs (the old order: row first, then teardown).
  const db = new Database(path.join(dataDir, `sessions-${instance}.db`));
  db.prepare('DELETE FROM sessions WHERE id = ?').run(hashToken(learners[2]!.cookie.split('=')[1]!));
  db.close();

  child = startServerProcess(env);
  await waitForHealth(url, (h) => h.sessions === 2 && h.warmClusters === 1, 180_000);
  const left = await clusterIds(instance);
  assert.ok(!left.has(used[2]!), 'the used cluster without a session was destroyed, not pooled');
  assert.ok(left.has(warm), 'the never-used warm cluster was kept for the pool');

  // The two learners with rows get their own clusters back.
  for (const [i, l] of learners.slice(0, 2).entries()) {
    const again = await l.anotherPage();
    const info = await again.waitReady();
    assert.equal((await clustersByIp(instance)).get(info.nodes[0]!.ip), used[i], `learner ${i + 1} gets their cluster back`);
    if (i === 0) {
      await again.open('t-manager', 'manager');
      assert.equal((await again.run('t-manager', 'cat /lab/mine.txt')).trim(), 'mine');
    }
    again.close();
  }
  // A new learner gets the never-used warm cluster, none of the three.
  const newcomer = await Learner.join(url);
  const info = await newcomer.waitReady(180_000);
  const theirs = (await clustersByIp(instance)).get(info.nodes[0]!.ip)!;
  assert.ok(!used.includes(theirs), 'a new learner never gets a cluster someone had');
  assert.equal(theirs, warm);
  newcomer.close();

  // 0 orphans: every cluster left is a session's (two restored learners, the newcomer) or the pool's
  // refill (at most one, possibly still starting); the used one without a session is not among them.
  const now = [...(await clusterIds(instance))];
  const expected = new Set([used[0]!, used[1]!, warm]);
  const others = now.filter((id) => !expected.has(id));
  assert.ok(others.length <= 1 && !others.includes(used[2]!), `clusters left: ${now.join(', ')}`);
  assert.ok([...expected].every((id) => now.includes(id)));
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
});

function startServerProcess(env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'sandbox-server/src/main.ts'], { cwd: repoRoot, env, stdio: ['ignore', 'inherit', 'inherit'] });
}

