/**
 * The teardown order of an ended session: its row (which says whose the cluster is) goes only
 * after the cluster is gone; a failed teardown keeps the row and is retried by the reaper.
 * Run: node --import tsx --test sandbox-server/src/sessions/manager.test.ts
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LiveCluster } from '../clusters/live.ts';
import type { ClusterPool } from '../clusters/pool.ts';
import { createLogger } from '../log.ts';
import { SessionManager } from './manager.ts';
import type { SessionRow, SessionStore } from './store.ts';

test('a session row is deleted only after its cluster teardown succeeded; a failed one is retried', async () => {
  const rows = new Map<string, SessionRow>();
  const store = { upsert: (r: SessionRow) => rows.set(r.id, r), delete: (id: string) => rows.delete(id), all: () => [...rows.values()] } as unknown as SessionStore;
  const cluster = { id: 'c1', cluster: { nodes: [] }, prewarmShells: () => undefined } as unknown as LiveCluster;
  const pool = { take: () => cluster, refill: () => undefined } as unknown as ClusterPool;
  let failures = 1;
  const destroyed: string[] = [];
  const manager = new SessionManager({
    store,
    pool,
    provision: async () => cluster,
    destroy: async (c) => {
      assert.ok(rows.size === 1, 'the row is still there while the cluster is torn down');
      if (failures-- > 0) throw new Error('engine busy');
      destroyed.push(c.id);
    },
    idleTtlMs: 1000,
    maxTtlMs: 10_000,
    hostLimits: [],
    log: createLogger('json', {}, 'silent'),
  });
  const { session } = manager.create();
  await manager.claimCluster(session, '192.0.2.1');
  assert.equal(rows.get(session.id)?.clusterId, 'c1');

  await assert.rejects(manager.expire(session, 'test'), /engine busy/);
  assert.equal(rows.get(session.id)?.clusterId, 'c1', 'teardown failed: the row still names the cluster');
  assert.equal(manager.count, 0, 'the session itself is over');

  await manager.reap();
  assert.deepEqual(destroyed, ['c1'], 'the reaper retried the teardown');
  assert.equal(rows.size, 0, 'and only then deleted the row');
});

test('a session nobody acted in costs no row and no rewrite; a claimed one is written when it changed', async () => {
  const rows = new Map<string, SessionRow>();
  let writes = 0;
  const store = { upsert: (r: SessionRow) => (writes++, rows.set(r.id, r)), delete: (id: string) => rows.delete(id), all: () => [...rows.values()] } as unknown as SessionStore;
  const cluster = { id: 'c1', cluster: { nodes: [] }, prewarmShells: () => undefined } as unknown as LiveCluster;
  const pool = { take: () => cluster, refill: () => undefined } as unknown as ClusterPool;
  const manager = new SessionManager({
    store,
    pool,
    provision: async () => cluster,
    destroy: async () => undefined,
    idleTtlMs: 60_000,
    maxTtlMs: 600_000,
    hostLimits: [],
    log: createLogger('json', {}, 'silent'),
  });
  const views = Array.from({ length: 100 }, () => manager.create());
  await manager.reap();
  await manager.reap();
  assert.equal(writes, 0, 'page views: nothing written, on creation or by the reaper');

  const learner = views[0]!;
  await manager.claimCluster(learner.session, '192.0.2.1');
  assert.equal(rows.get(learner.session.id)?.clusterId, 'c1', 'claimed: written (a restart adopts it)');
  const afterClaim = writes;
  await manager.reap();
  assert.equal(writes, afterClaim, 'unchanged: not rewritten');
  manager.resolve(learner.token);
  learner.session.lastSeen += 1; // resolve() in the same millisecond may not move it
  await manager.reap();
  assert.equal(writes, afterClaim + 1, 'seen again: rewritten once');
  assert.equal(manager.resolve(views[1]!.token), views[1]!.session, 'an unwritten session still answers its cookie (reload works)');

  await manager.reap(Date.now() + 120_000);
  assert.equal(manager.count, 0, 'idle page views are reaped from memory');
});
