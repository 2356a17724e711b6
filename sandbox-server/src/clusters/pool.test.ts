/**
 * The warm pool's bookkeeping with controllable cold starts (no engine): it
 * fills one at a time, respects the host limit, and drain waits for a start
 * in flight and removes what it made.
 * Run: node --import tsx --test sandbox-server/src/clusters/pool.test.ts
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../log.ts';
import type { LiveCluster } from './live.ts';
import { ClusterPool } from './pool.ts';

/** Cold starts that finish when the test says so. */
function harness(size: number, room: { left: number }) {
  const starts: { finish: () => void; id: string }[] = [];
  const destroyed: string[] = [];
  const provision = () =>
    new Promise<LiveCluster>((resolve) => {
      const id = `c${starts.length + 1}`;
      starts.push({ id, finish: () => resolve({ id, prewarmShells: () => undefined } as unknown as LiveCluster) });
    });
  const destroy = async (c: LiveCluster) => void destroyed.push(c.id);
  const pool: ClusterPool = new ClusterPool(size, provision, destroy, createLogger('json', {}, 'silent'), (): boolean => room.left - pool.running > 0);
  return { pool, starts, destroyed };
}

const settle = () => new Promise((r) => setImmediate(r));

test('fills one cluster at a time up to its size, and never past the host limit', async () => {
  const room = { left: 2 };
  const { pool, starts } = harness(3, room);
  pool.refill();
  assert.equal(starts.length, 1, 'one cold start at a time');
  assert.equal(pool.running, 1);
  starts[0]!.finish();
  await settle();
  assert.equal(starts.length, 2);
  starts[1]!.finish();
  await settle();
  assert.deepEqual([pool.readyCount, starts.length], [2, 2], 'the host holds two: the third is not started');

  // A learner takes one (it now counts as theirs), a place frees up elsewhere: the pool fills again.
  assert.equal(pool.take()?.id, 'c1');
  room.left = 3;
  await settle();
  assert.equal(starts.length, 3, 'take() refills once the taker holds the cluster');
  starts[2]!.finish();
  await settle();
  assert.equal(pool.readyCount, 2);
});

test('drain waits for a cold start in flight and removes it with the ready ones', async () => {
  const { pool, starts, destroyed } = harness(2, { left: 10 });
  pool.refill();
  starts[0]!.finish();
  await settle();
  assert.equal(starts.length, 2);
  let drained = false;
  const draining = pool.drain().then(() => (drained = true));
  await settle();
  assert.equal(drained, false, 'still waiting for c2');
  starts[1]!.finish();
  await draining;
  assert.deepEqual(destroyed.sort(), ['c1', 'c2']);
  assert.equal(pool.readyCount, 0);
});

test('a refill with nothing to do leaves the pool able to refill later', async () => {
  const room = { left: 0 };
  const { pool, starts } = harness(1, room);
  pool.refill();
  await settle();
  assert.equal(starts.length, 0);
  room.left = 1;
  pool.refill();
  assert.equal(starts.length, 1);
});
