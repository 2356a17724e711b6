import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { loadConfig } from '../config.ts';
import { setupNodeEngine } from './learner-nodes.ts';
import type { ensureLearnerEngine } from '../engine/learner.ts';

// A learner dir under a file: the hardened fallback's disk step fails at once (nothing is made on this host).
const config = loadConfig({ SWB_ISOLATION: 'userns', SWB_LEARNER_DIR: '/dev/null/swb-test' });
const quiet = { info: () => {}, warn: () => {} };
const hostDocker = {} as Docker;

test('the firewall is installed before the learner engine starts (its nodes come back with it)', async () => {
  const order: string[] = [];
  const fence = async () => {
    await sleep(20);
    order.push('firewall');
  };
  const start = (async () => {
    order.push('learner engine');
    throw new Error('no engine in this test');
  }) as unknown as typeof ensureLearnerEngine;
  const engine = await setupNodeEngine({ ...config, DOCKER_HOST: undefined }, hostDocker, 'node-image', quiet, fence, start);
  assert.deepEqual(order, ['firewall', 'learner engine']);
  assert.equal(engine.isolation, 'hardened');
});

test('no firewall, no learner engine: a fence that fails stops everything', async () => {
  let started = false;
  const start = (async () => {
    started = true;
    throw new Error('must not start');
  }) as unknown as typeof ensureLearnerEngine;
  await assert.rejects(
    setupNodeEngine({ ...config, DOCKER_HOST: undefined }, hostDocker, 'node-image', quiet, () => Promise.reject(new Error('Cannot install the firewall rules')), start),
    /Cannot install the firewall rules/,
  );
  assert.equal(started, false);
});
