/**
 * Node disks are real loop-mounted XFS files (root, mkfs.xfs and loop devices: prepareHost installs
 * xfsprogs). After a reboot their mounts are gone; remountNodeDisks brings them back, so a node the
 * engine restarts writes into its own bounded disk again, not onto the learner disk.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { after, test } from 'node:test';
import { ensureNodeDisk, mountLoop, NODE_WRITABLE, releaseNodeDisk, remountNodeDisks } from './node-disk.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swb-node-disks-'));
const mounted = (p: string) => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === fs.realpathSync(p));
after(async () => {
  await releaseNodeDisk(path.join(dir, 'swb-x-1-manager'));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a node disk unmounted by a reboot is mounted again, with what the node wrote on it', async () => {
  const mount = await ensureNodeDisk({ dir, sizeMb: 300, uid: 0, gid: 0 }, 'swb-x-1-manager');
  // Every writable place of the node is a folder of this disk; /tmp is open to all, sticky.
  for (const w of NODE_WRITABLE) assert.ok(fs.statSync(path.join(mount, w.folder)).isDirectory(), w.folder);
  assert.equal(fs.statSync(path.join(mount, 'tmp')).mode & 0o7777, 0o1777);
  fs.writeFileSync(path.join(mount, 'kept.txt'), 'from before the reboot');
  execFileSync('umount', [mount]); // what a reboot leaves: the image file, an empty mount point
  assert.equal(mounted(mount), false);
  assert.equal(fs.existsSync(path.join(mount, 'kept.txt')), false, 'control: unmounted, the node would write onto the learner disk');

  assert.equal(await remountNodeDisks(dir), 1);
  assert.equal(mounted(mount), true);
  assert.equal(fs.readFileSync(path.join(mount, 'kept.txt'), 'utf8'), 'from before the reboot');
  assert.equal(await remountNodeDisks(dir), 0, 'a mounted disk is left alone');
  assert.equal(await remountNodeDisks(path.join(dir, 'missing')), 0);

  // A disk mounted before (made by an older version, without a folder the node now needs) gets it.
  fs.rmSync(path.join(mount, 'etc-docker'), { recursive: true });
  assert.equal(await ensureNodeDisk({ dir, sizeMb: 300, uid: 0, gid: 0 }, 'swb-x-1-manager'), mount);
  assert.ok(fs.statSync(path.join(mount, 'etc-docker')).isDirectory());
  assert.equal(fs.readFileSync(path.join(mount, 'kept.txt'), 'utf8'), 'from before the reboot', 'the same disk, not a new one');
});

test('an image that will not mount fails after its tries, saying how mount ended', async () => {
  const image = path.join(dir, 'not-a-filesystem.img');
  fs.writeFileSync(image, Buffer.alloc(1 << 20));
  fs.mkdirSync(path.join(dir, 'not-a-filesystem'));
  await assert.rejects(mountLoop(image, path.join(dir, 'not-a-filesystem'), 2), /could not loop-mount .*not-a-filesystem\.img after 2 tries \(exit \d+\)/);
  assert.equal(mounted(path.join(dir, 'not-a-filesystem')), false);
});
