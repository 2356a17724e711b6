import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { delegateCgroupDir, DELEGATED_FILES } from '../engine/cgroups.ts';
import { hostSysctls, learnerPidsBudget, missingSysctls, nodeUlimits } from './kernel-quotas.ts';

test('the host sysctls grow with the nodes the configuration allows, and only short ones are raised', () => {
  const small = hostSysctls({ nodes: 3, pidsPerNode: 512 });
  const big = hostSysctls({ nodes: 120, pidsPerNode: 512 });
  for (const [i, s] of small.entries()) assert.ok(big[i]!.min > s.min, `${s.key} grows with the nodes`);
  const keys = big.find((s) => s.key === 'kernel/keys/maxkeys')!;
  assert.ok(keys.min >= 200 + 120 * 2, 'two keys a node (measured) for 120 nodes, beside the default 200');
  const host: Record<string, number> = { 'kernel/keys/maxkeys': 200, 'kernel/keys/maxbytes': 1e9, 'fs/inotify/max_user_instances': 128,
    'fs/inotify/max_user_watches': 1e9, 'fs/pipe-user-pages-soft': 1e9, 'kernel/pid_max': 4194304 };
  assert.deepEqual(missingSysctls(big, (k) => host[k]!).map((s) => s.key), ['kernel/keys/maxkeys', 'fs/inotify/max_user_instances']);
});

test('the pids budget of all learner nodes keeps the host its share, and says when the nodes do not fit', () => {
  const host = { threadsMax: 192735, pidMax: 32768, engineNproc: 96367 };
  assert.deepEqual(learnerPidsBudget({ nodes: 120, pidsPerNode: 512 }, { ...host, pidMax: 4194304 }), { budget: 61440, fits: true });
  const tight = learnerPidsBudget({ nodes: 120, pidsPerNode: 2048 }, { ...host, pidMax: 4194304 });
  assert.equal(tight.fits, false);
  assert.equal(tight.budget, Math.floor(96367 * 0.8), 'the engine\'s process rlimit bounds every node together');
  assert.equal(learnerPidsBudget({ nodes: 120, pidsPerNode: 2048 }, host).budget, Math.floor(32768 * 0.8));
});

test('each node gets its share of the rlimits every node shares', () => {
  const u = nodeUlimits({ 'Max pending signals': 96367, 'Max msgqueue size': 819200 }, 120);
  assert.deepEqual(u, [{ Name: 'sigpending', Soft: 803, Hard: 803 }, { Name: 'msgqueue', Soft: 6826, Hard: 6826 }]);
});

test('a delegated cgroup: the directory and the process files are the node\'s, the limits stay root\'s', { skip: process.getuid?.() !== 0 && 'needs root to chown' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cg-'));
  for (const f of ['cgroup.procs', 'tasks', 'pids.max', 'cpu.cfs_quota_us', 'memory.limit_in_bytes', 'cgroup.subtree_control']) fs.writeFileSync(path.join(dir, f), '');
  fs.mkdirSync(path.join(dir, 'docker'));
  // An earlier full hand-off (chown -R) is taken back.
  for (const f of fs.readdirSync(dir)) fs.chownSync(path.join(dir, f), 4242, 4242);
  delegateCgroupDir(dir, { uid: 4242, gid: 4242 });
  const owner = (f: string) => fs.statSync(path.join(dir, f)).uid;
  assert.equal(fs.statSync(dir).uid, 4242);
  for (const f of fs.readdirSync(dir)) {
    if (f === 'docker') assert.equal(owner(f), 4242, 'groups the nested engine made stay its own');
    else assert.equal(owner(f), DELEGATED_FILES.has(f) ? 4242 : 0, f);
  }
  fs.rmSync(dir, { recursive: true });
});
