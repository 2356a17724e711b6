import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { loadConfig } from '../config.ts';
import { readHostResources } from './host-resources.ts';
import { CLUSTER_COST, HOST_RESERVED_MEMORY_MB, LEARNER_CORE_SHARE, LEARNER_DISK_SHARE, clusterCost, describeBound, hostCapacity, type HostResources } from './capacity.ts';

const run = promisify(execFile);
const cost = { cpuCores: 0.1, memoryMb: 500, diskGb: 1, pids: 1536 };
/** A host where every resource holds 100 clusters; each case shrinks one of them. */
const roomy: HostResources = {
  cores: (100 * 0.1) / LEARNER_CORE_SHARE,
  memoryMb: HOST_RESERVED_MEMORY_MB + 100 * 500,
  learnerDiskGb: 100 / LEARNER_DISK_SHARE + 0.01,
  learnerPids: 100 * 1536,
};

test('each resource can be the one that bounds the host', () => {
  assert.deepEqual(hostCapacity(roomy, cost).byResource, { cores: 100, memory: 100, disk: 100, pids: 100 });
  const cases: [keyof HostResources, number, string][] = [
    ['cores', 2, 'cores'],
    ['memoryMb', 24 * 1024, 'memory'],
    ['learnerDiskGb', 20, 'disk'],
    ['learnerPids', 30_000, 'pids'],
  ];
  for (const [field, value, bound] of cases) {
    const c = hostCapacity({ ...roomy, [field]: value }, cost);
    assert.equal(c.bound, bound, field);
    assert.ok(c.limit < 100, `${field}: ${c.limit}`);
    assert.equal(c.limit, c.byResource[c.bound]);
    assert.match(describeBound(c, { ...roomy, [field]: value }, cost), new RegExp(`^${bound === 'disk' ? 'learner disk' : bound === 'pids' ? 'pid space' : bound} \\(`));
  }
  // 2 cores: 80 % of them at 0.1 of a core a cluster; 24 GiB less the host's 2 GiB at 500 MB.
  assert.equal(hostCapacity({ ...roomy, cores: 2 }, cost).limit, 16);
  assert.equal(hostCapacity({ ...roomy, memoryMb: 24 * 1024 }, cost).limit, Math.floor((24 * 1024 - HOST_RESERVED_MEMORY_MB) / 500));
});

test('a host too small for one cluster still runs one (the operator was warned by the doctor)', () => {
  const c = hostCapacity({ ...roomy, memoryMb: 1024 }, cost);
  assert.equal(c.bound, 'memory');
  assert.equal(c.byResource.memory, 0);
  assert.equal(c.limit, 1);
});

test('a cluster costs in proportion to its nodes; pids are every node at its limit', () => {
  assert.deepEqual(clusterCost(CLUSTER_COST.nodes - 1, 512), { cpuCores: CLUSTER_COST.cpuCores, memoryMb: CLUSTER_COST.memoryMb, diskGb: CLUSTER_COST.diskGb, pids: 3 * 512 });
  const single = clusterCost(0, 100);
  assert.equal(single.pids, 100);
  assert.ok(Math.abs(single.memoryMb - CLUSTER_COST.memoryMb / 3) < 1e-9);
});

test('npm run doctor prints the derived default for this host', async () => {
  const env = { ...process.env };
  delete env.SWB_MAX_CLUSTERS;
  const config = loadConfig(env);
  const host = readHostResources({ learnerDir: config.SWB_LEARNER_DIR, learnerDiskGb: config.SWB_LEARNER_DISK_GB });
  const cost = clusterCost(config.SWB_WORKERS, config.SWB_NODE_PIDS);
  const expected = hostCapacity(host, cost);
  assert.equal(config.SWB_MAX_CLUSTERS, Math.min(1000, expected.limit), 'the default of SWB_MAX_CLUSTERS is the module\'s answer');
  assert.equal(config.sizing.explicit, false);
  // The doctor reports problems with exit code 1 (no Docker here, say): its report is printed either way.
  const repo = path.resolve(import.meta.dirname, '../../..');
  const out = await run(process.execPath, ['--import', 'tsx', 'scripts/doctor.ts'], { cwd: repo, env, timeout: 120_000 }).then(
    (r) => r.stdout,
    (err: { stdout?: string }) => err.stdout ?? '',
  );
  const line = out.split('\n').find((l) => l.includes('Learners at once'));
  assert.ok(line, `the doctor prints a "Learners at once" line:\n${out}`);
  assert.ok(line.includes(`this host serves ${expected.limit} learners at once, bound by ${describeBound(expected, host, cost)}`), line);
});
