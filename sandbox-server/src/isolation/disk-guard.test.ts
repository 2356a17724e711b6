import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { clustersOverLimit, FAIR_SHARE_BYTES, folderBytes, ROOTFS_LIMIT_BYTES, type NodeUsage } from './disk-guard.ts';

const MB = 2 ** 20;
const node = (cluster: string, name: string, diskMb: number, rootfsMb = 0, rootfsFlooded = false, readOnlyRoot = true): NodeUsage => ({
  cluster,
  node: name,
  diskBytes: diskMb * MB,
  rootfsBytes: rootfsMb * MB,
  rootfsFlooded,
  readOnlyRoot,
});

test('a cluster is over when its nodes together pass the limit, not when one node is big', () => {
  const usage = [node('a', 'manager', 900), node('a', 'worker-1', 900), node('b', 'manager', 1500), node('b', 'worker-1', 100)];
  const over = clustersOverLimit(usage, 1700 * MB);
  assert.deepEqual([...over.keys()], ['a']);
  assert.match(over.get('a')!, /your nodes used 1800 MB of disk, more than the 1700 MB a sandbox may use/);
});

test('writing to a read-only filesystem (remounted) is over at once, whatever the cluster uses', () => {
  const small = ROOTFS_LIMIT_BYTES / MB;
  const usage = [
    node('a', 'worker-2', 10, small + 1),
    node('b', 'manager', 10, small - 1),
    node('c', 'manager', 10, 0, true),
    node('d', 'manager', 0, 500, false, false), // no disk of its own: its files are in its layer, and count as its use
  ];
  const over = clustersOverLimit(usage, 6000 * MB);
  assert.deepEqual([...over.keys()].sort(), ['a', 'c']);
  assert.match(over.get('a')!, /the worker-2 node wrote 65 MB to its own read-only filesystem \(after remounting it\)/);
  assert.match(over.get('c')!, /wrote too many files/);
});

test('a nearly full learner disk resets the biggest cluster, only one, and only past a fair share', () => {
  const fair = FAIR_SHARE_BYTES / MB;
  const usage = [node('a', 'manager', fair + 10), node('b', 'manager', fair + 500), node('c', 'manager', 100)];
  assert.deepEqual([...clustersOverLimit(usage, 6000 * MB, false).keys()], [], 'room left: nobody');
  const full = clustersOverLimit(usage, 6000 * MB, true);
  assert.deepEqual([...full.keys()], ['b']);
  assert.match(full.get('b')!, /the disk all sandboxes share is nearly full, and your nodes used the most of it/);
  assert.deepEqual([...clustersOverLimit([node('c', 'manager', fair - 1)], 6000 * MB, true).keys()], [], 'a small cluster is not the one to blame');
});

test('folderBytes counts what files take on disk and stops at its entry budget', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swb-guard-'));
  try {
    fs.mkdirSync(path.join(dir, 'a/b'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'a/b/one'), Buffer.alloc(MB, 1));
    fs.writeFileSync(path.join(dir, 'two'), Buffer.alloc(MB, 1));
    const sparse = fs.openSync(path.join(dir, 'sparse'), 'w');
    fs.ftruncateSync(sparse, 1024 * MB); // a sparse file takes (almost) nothing
    fs.closeSync(sparse);
    const all = await folderBytes(dir);
    assert.equal(all.flooded, false);
    assert.ok(all.bytes >= 2 * MB && all.bytes < 3 * MB, `${all.bytes} bytes`);
    assert.equal((await folderBytes(dir, 3)).flooded, true);
    assert.deepEqual(await folderBytes(path.join(dir, 'gone')), { bytes: 0, flooded: false });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
