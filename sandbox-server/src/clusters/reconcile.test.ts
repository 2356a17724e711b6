/**
 * Run: node --import tsx --test sandbox-server/src/clusters/reconcile.test.ts
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planLeftovers } from './reconcile.ts';

const c = (id: string) => ({ id });

test('after a restart: owned clusters go back, handed-out ones nobody owns are destroyed, never-handed ones fill the pool', () => {
  const found = [c('owned'), c('used-orphan'), c('warm1'), c('warm2')];
  const plan = planLeftovers(found, new Set(['owned', 'gone']), new Set(['owned', 'used-orphan']), 1);
  assert.deepEqual([...plan.owned.keys()], ['owned']);
  assert.deepEqual(plan.warm.map((x) => x.id), ['warm1']);
  assert.deepEqual(plan.destroy.map((x) => x.id).sort(), ['used-orphan', 'warm2']);
});

test('control: without the hand-out record a used cluster whose row is gone would be pooled', () => {
  const plan = planLeftovers([c('used-orphan')], new Set(), new Set(), 1);
  assert.deepEqual(plan.warm.map((x) => x.id), ['used-orphan'], 'this is what the record prevents');
});
