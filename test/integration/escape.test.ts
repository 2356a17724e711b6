/**
 * Escape probes typed into a learner's root shell through the real WebSocket terminal: host
 * sysctls, tracefs/debugfs, device nodes, capabilities, the clock, the disk, and egress. Each must
 * fail in a learner node, and each is first shown to succeed on a deliberately unconfined control
 * node (the old capabilities mode, on the host engine, made here and removed after), so a probe
 * that could never succeed is caught.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type Docker from 'dockerode';
import { labelFilter } from '../../sandbox-server/src/engine/labels.ts';
import { nodeDiskOf } from '../../sandbox-server/src/engine/node-disk.ts';
import { DROPPED_CAPS, droppedCaps } from '../../sandbox-server/src/isolation/node-security.ts';
import { hashToken } from '../../sandbox-server/src/sessions/manager.ts';
import { Learner } from '../helpers/learner.ts';
import { hostDocker, removeInstance, startTestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

const QUOTA_MB = 1024;
const CLUSTER_DISK_MB = 640;
const tag = Math.random().toString(36).slice(2, 7);
const TARGET_SUBNET = `10.77.${Math.floor(Math.random() * 200) + 20}`;
const TARGET_IP = `${TARGET_SUBNET}.10`;
const LINK_LOCAL = '169.254.77.77';
const PORT = 8080;

/** The block device mounted at a host path (major:minor), for the mknod probes. */
function blockDeviceAt(mountPoint: string): { name: string; major: number; minor: number } {
  const line = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === mountPoint)!;
  const [major, minor] = line.split(' ')[2]!.split(':').map(Number) as [number, number];
  return { name: line.split(' - ')[1]!.split(' ')[1]!, major, minor };
}

/** Some hosts (this sandboxed VM) refuse even their own root a read of the root disk. */
function hostCanRead(device: string): boolean {
  try {
    fs.closeSync(fs.openSync(device, 'r'));
    return true;
  } catch {
    return false;
  }
}

interface Probe {
  name: string;
  cmd: string;
  /** Why the control cannot show it here (the learner side still runs). */
  controlSkip?: string;
}

function probes(hostPort: number, learnerDisk: string): Probe[] {
  const root = blockDeviceAt('/');
  const disk = blockDeviceAt(learnerDisk);
  const blockProbe = (what: string, blk: { name: string; major: number; minor: number }): Probe => ({
    name: `mknod + read ${what} (${blk.name})`,
    cmd: `rm -f /tmp/blk && mknod /tmp/blk b ${blk.major} ${blk.minor} && timeout 5 dd if=/tmp/blk of=/dev/null bs=512 count=1 2>/dev/null`,
    controlSkip: hostCanRead(blk.name) ? undefined : `even this host's root cannot open ${blk.name} here`,
  });
  return [
    { name: 'write back kernel.core_pattern', cmd: 'p=$(cat /proc/sys/kernel/core_pattern) && printf "%s\\n" "$p" > /proc/sys/kernel/core_pattern' },
    { name: 'write back kernel.printk', cmd: 'p=$(cat /proc/sys/kernel/printk) && printf "%s\\n" "$p" > /proc/sys/kernel/printk' },
    { name: 'mount tracefs', cmd: 'mkdir -p /tmp/tr && mount -t tracefs nodev /tmp/tr && ls /tmp/tr | grep -q trace && umount /tmp/tr' },
    { name: 'mount debugfs', cmd: 'mkdir -p /tmp/dbg && mount -t debugfs nodev /tmp/dbg && umount /tmp/dbg' },
    { name: 'mknod + read /dev/kmsg', cmd: 'rm -f /tmp/kmsg && mknod /tmp/kmsg c 1 11 && timeout 5 dd if=/tmp/kmsg of=/dev/null bs=8192 count=1 2>/dev/null' },
    {
      name: 'mknod + read /dev/mem',
      cmd: 'rm -f /tmp/mem && mknod /tmp/mem c 1 1 && timeout 5 dd if=/tmp/mem of=/dev/null bs=4096 count=1 2>/dev/null',
      controlSkip: fs.existsSync('/dev/mem') ? undefined : 'this kernel has no /dev/mem',
    },
    blockProbe('the host\'s root disk', root),
    // The loop device holding every learner's node disks: reading it would expose other learners.
    blockProbe('the learner engine\'s disk', disk),
    { name: 'create a user namespace (seccomp)', cmd: 'unshare --user true' },
    { name: 'read the kernel log (seccomp: syslog)', cmd: 'dmesg | head -n 1 | grep -q .' },
    { name: 'set the clock to the current time', cmd: 'date -s "@$(date +%s.%N)" >/dev/null' },
    { name: `a 2 GB file against a ${QUOTA_MB} MB disk`, cmd: 'fallocate -l 2G /var/lib/docker/big; r=$?; rm -f /var/lib/docker/big; exit $r' },
    { name: `a 2 GB file in the home folder (on the same ${QUOTA_MB} MB disk)`, cmd: 'fallocate -l 2G /root/big; r=$?; rm -f /root/big; exit $r' },
    // Anywhere else would be the learner disk that every node shares: the node's own filesystem is read-only.
    { name: 'a file on the node\'s own filesystem', cmd: 'fallocate -l 1M /usr/big; r=$?; rm -f /usr/big; exit $r' },
    { name: 'connect to a host port that is not the mirror', cmd: `nc -z -w 3 "$(ip route | awk '/default/ {print $3}')" ${hostPort}` },
    { name: `connect to another private address (${TARGET_IP})`, cmd: `nc -z -w 3 ${TARGET_IP} ${PORT}` },
    { name: `connect to a link-local address (${LINK_LOCAL})`, cmd: `nc -z -w 3 ${LINK_LOCAL} ${PORT}` },
  ];
}

async function execIn(container: Docker.Container, cmd: string): Promise<{ code: number; output: string }> {
  const exec = await container.exec({ Cmd: ['sh', '-c', cmd], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  let output = '';
  stream.on('data', (d: Buffer) => (output += d.toString('utf8')));
  await new Promise((r) => stream.on('end', r));
  return { code: (await exec.inspect()).ExitCode ?? -1, output };
}

describe('a learner\'s root shell cannot reach the host', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let learner: Learner;
  let hostService: http.Server;
  let net: Docker.Network;
  let control: Docker.Container;
  let target: Docker.Container;
  let nodeImage: string;

  before(async () => {
    // One node is all these probes need; the disk guard looks every second, at a small limit.
    server = await startTestServer('escape', {
      SWB_WORKERS: '0',
      SWB_NODE_DISK_MB: String(QUOTA_MB),
      SWB_CLUSTER_DISK_MB: String(CLUSTER_DISK_MB),
      SWB_DISK_GUARD_S: '1',
    });
    nodeImage = (await hostDocker.listImages()).flatMap((i) => i.RepoTags ?? []).find((t) => t.startsWith('swb/node:'))!;
    learner = await Learner.join(server.url);
    hostService = http.createServer((_req, res) => res.end('host-service'));
    await new Promise<void>((r) => hostService.listen(0, '0.0.0.0', r));
    // A test network of this machine (host engine, not a learner network): a target listening on
    // a private and a link-local address, and the unconfined control node beside it.
    net = await hostDocker.createNetwork({
      Name: `escape-${tag}`,
      Driver: 'bridge',
      IPAM: { Config: [{ Subnet: `${TARGET_SUBNET}.0/24`, Gateway: `${TARGET_SUBNET}.1` }] },
      Options: { 'com.docker.network.bridge.name': `esc${tag}` },
      Labels: { 'swb.test': 'escape' },
    });
    target = await hostDocker.createContainer({
      Image: nodeImage,
      Entrypoint: ['sh', '-c', `ip addr add ${LINK_LOCAL}/32 dev eth0 && exec nc -lk ${PORT}`],
      Labels: { 'swb.test': 'escape' },
      HostConfig: { NetworkMode: net.id, CapAdd: ['NET_ADMIN'] },
      NetworkingConfig: { EndpointsConfig: { [net.id]: { IPAMConfig: { IPv4Address: TARGET_IP } } } },
    });
    // The old "capabilities" mode of learner nodes, deliberately without any of the new confinement.
    control = await hostDocker.createContainer({
      Image: nodeImage,
      Entrypoint: ['sleep', 'infinity'],
      Labels: { 'swb.test': 'escape' },
      HostConfig: {
        NetworkMode: net.id,
        CapAdd: ['ALL'],
        CapDrop: ['SYS_RESOURCE'],
        SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
        MaskedPaths: [],
        ReadonlyPaths: [],
        DeviceCgroupRules: ['c *:* rwm', 'b *:* rwm'],
      },
    });
    await Promise.all([target.start(), control.start()]);
    // The host routes the link-local address to the target, as a cloud host routes its metadata service.
    execFileSync('ip', ['route', 'replace', `${LINK_LOCAL}/32`, 'via', TARGET_IP]);
    await execIn(control, `ip route add ${LINK_LOCAL}/32 dev eth0`);
    await learner.waitReady();
    await learner.open('t-manager', 'manager');
  });

  after(async () => {
    learner?.close();
    hostService?.close();
    execFileSync('ip', ['route', 'del', `${LINK_LOCAL}/32`], { stdio: 'ignore' });
    await Promise.all([control, target].map((c) => c?.remove({ force: true, v: true }).catch(() => undefined)));
    await net?.remove().catch(() => undefined);
    await server?.close();
    if (server) await removeInstance(server.config.SWB_INSTANCE);
  });

  test('the node runs in a user namespace on the learner engine', async () => {
    assert.equal(server.sandbox.facts.isolation, 'userns');
    const map = await learner.run('t-manager', 'cat /proc/self/uid_map');
    const [inside, outside] = map.trim().split(/\s+/).map(Number);
    assert.equal(inside, 0);
    assert.ok(outside! > 0, `root in the node is uid ${outside} on the host: ${map}`);
  });

  test('every escape probe works on the unconfined control and fails in a learner node', async () => {
    const hostPort = (hostService.address() as AddressInfo).port;
    const failures: string[] = [];
    for (const probe of probes(hostPort, `${server.config.SWB_LEARNER_DIR}/data`)) {
      if (probe.controlSkip) console.log(`# control skipped for "${probe.name}": ${probe.controlSkip}`);
      else {
        const c = await execIn(control, probe.cmd);
        assert.equal(c.code, 0, `control: "${probe.name}" must succeed on an unconfined node, or the probe proves nothing: ${c.output}`);
      }
      const r = await learner.runWithCode('t-manager', `(${probe.cmd}) 2>&1`, 60_000);
      if (r.code === 0) failures.push(`${probe.name}: succeeded in the learner node (${r.output.trim()})`);
      if (probe.name.includes('2 GB')) assert.match(r.output, /No space left on device/, `the learner gets ENOSPC: ${r.output}`);
      if (probe.name.includes('own filesystem')) assert.match(r.output, /Read-only file system/, r.output);
    }
    const metadata = await learner.runWithCode('t-manager', 'nc -z -w 3 169.254.169.254 80');
    if (metadata.code === 0) failures.push('169.254.169.254:80 answered the learner node');
    assert.deepEqual(failures, []);
  });

  test('the node lacks every dropped capability (the control has them)', async () => {
    const read = "awk '/^CapEff/ {print $2}' /proc/self/status";
    const capEff = (text: string) => BigInt(`0x${/([0-9a-f]{16})/.exec(text)![1]}`);
    const node = capEff(await learner.run('t-manager', read));
    const ctl = capEff((await execIn(control, read)).output);
    for (const cap of ['SYS_MODULE', 'SYS_TIME', 'SYS_BOOT', 'SYSLOG', 'DAC_READ_SEARCH', 'SYS_RAWIO', 'MAC_ADMIN']) {
      assert.ok(ctl & (1n << BigInt(DROPPED_CAPS[cap]!)), `the control has CAP_${cap}, so the bit test can see it`);
    }
    const present = Object.entries(droppedCaps('userns')).filter(([, bit]) => node & (1n << BigInt(bit))).map(([name]) => name);
    assert.deepEqual(present, [], `CapEff ${node.toString(16)}`);
  });

  test('a full node disk is the learner\'s problem only, and the node keeps working', async () => {
    const r = await learner.runWithCode('t-manager', 'df -m --output=size /var/lib/docker | tail -1');
    assert.ok(Number(r.output.trim()) <= QUOTA_MB, `the node's disk is capped at ${QUOTA_MB} MB: ${r.output}`);
    const inner = await learner.runWithCode('t-manager', 'docker run --rm flask_app:2.0 echo inner-ok', 120_000);
    assert.match(inner.output, /inner-ok/, 'nested containers still run in the confined node');
  });

  test('the places a learner writes (home, /tmp, /lab) work, and are on the node\'s own disk', async () => {
    const r = await learner.runWithCode('t-manager', 'for d in ~ /tmp /lab; do echo ok > $d/note && rm $d/note && df -m --output=size $d | tail -1; done');
    assert.equal(r.code, 0, r.output);
    for (const size of r.output.trim().split('\n')) assert.ok(Number(size) <= QUOTA_MB, `on the ${QUOTA_MB} MB node disk: ${r.output}`);
    assert.match(await learner.run('t-manager', 'touch /etc/note 2>&1; true'), /Read-only file system/);
  });

  test('docker exec reaches a process that switched uid, as mysqld does (the control without SYS_PTRACE cannot)', async () => {
    const script = [
      `c=$(docker run -d --rm flask_app:2.0 python3 -c "import os,time; os.setuid(65534); time.sleep(120)")`,
      `pid=$(docker inspect -f '{{.State.Pid}}' $c)`,
      `for i in $(seq 100); do [ "$(awk '/^Uid/ {print $2}' /proc/$pid/status)" = 65534 ] && break; sleep 0.1; done`,
      `docker exec $c true && echo exec-ok`,
      `setpriv --bounding-set=-sys_ptrace --inh-caps=-sys_ptrace runc --root /run/docker/runtime-runc/moby exec $(docker inspect -f '{{.Id}}' $c) true 2>&1 | grep -o 'Permission denied' | head -n 1`,
      `docker rm -f $c >/dev/null`,
    ].join('; ');
    const r = await learner.runWithCode('t-manager', script, 120_000);
    assert.match(r.output, /Permission denied/, `without SYS_PTRACE runc cannot join the process's namespaces (the control): ${r.output}`);
    assert.match(r.output, /exec-ok/, `docker exec into the process works: ${r.output}`);
  });

  /** The cluster is reset with these words, then ready again: a fresh shell in a fresh cluster. */
  async function resetWith(why: RegExp, terminalId: string): Promise<void> {
    const since = learner.messages.length;
    const told = () => learner.messages.slice(since).find((m) => m.type === 'cluster' && m.cluster.status === 'resetting');
    await waitFor(() => !!told(), 60_000, 'the disk guard resets the cluster');
    const message = told()!;
    assert.match(message.type === 'cluster' ? message.cluster.progress ?? '' : '', why);
    await learner.waitReady();
    await learner.open(terminalId, 'manager');
  }

  const clusterId = () => server.sandbox.sessions.get(hashToken(learner.cookie.split('=')[1]!))?.cluster?.id;
  /** The manager's own disk file, on the learner disk. */
  const diskFile = async () => {
    const [node] = await server.sandbox.nodes.docker.listContainers({ filters: labelFilter(server.config.SWB_INSTANCE, clusterId()) });
    return nodeDiskOf(node!.Mounts)!.image;
  };

  test(`a cluster that writes more than its ${CLUSTER_DISK_MB} MB of the shared disk is reset, its learner told why`, async () => {
    // What a node writes on its own disk is real space on the learner disk every node shares.
    const image = await diskFile();
    const before = fs.statSync(image).blocks * 512;
    const r = await learner.runWithCode('t-manager', 'head -c 400M /dev/zero > /root/fill && sync', 120_000);
    assert.equal(r.code, 0, r.output);
    const grew = fs.statSync(image).blocks * 512 - before;
    assert.ok(grew >= 350 * 2 ** 20, `the node's disk file grew by ${grew} bytes`);
    // Deleted is given back (the disk is mounted with discard), or a learner who cleans up would be blamed.
    await learner.run('t-manager', 'rm /root/fill && sync');
    await waitFor(() => fs.statSync(image).blocks * 512 - before < 100 * 2 ** 20, 30_000, 'the deleted file\'s room given back');
    const old = clusterId();
    learner.type('t-manager', `head -c ${CLUSTER_DISK_MB}M /dev/zero > /root/fill\r`);
    await resetWith(new RegExp(`your nodes used \\d+ MB of disk, more than the ${CLUSTER_DISK_MB} MB a sandbox may use, so your cluster was reset`), 't-fresh');
    assert.notEqual(clusterId(), old, 'a new cluster');
    assert.equal(fs.existsSync(image), false, 'the old node\'s disk is gone');
    assert.match(await learner.run('t-fresh', 'ls /root/fill 2>&1; true'), /No such file/);
  });

  test('writing to the node\'s read-only filesystem after remounting it gets the cluster reset', async () => {
    // Root in the node can make its own filesystem writable (the mount is its user namespace's):
    // the read-only root alone does not stop this write, which lands outside any node disk.
    const r = await learner.runWithCode('t-fresh', 'mount -o remount,bind,rw / && touch /usr/probe && echo now-writable');
    assert.match(r.output, /now-writable/, `the bypass works, so only the guard can catch it: ${r.output}`);
    learner.type('t-fresh', 'head -c 100M /dev/zero > /usr/fill\r');
    await resetWith(/the manager node wrote \d+ MB to its own read-only filesystem \(after remounting it\).*so your cluster was reset/, 't-after');
    assert.match(await learner.run('t-after', 'ls /usr/probe 2>&1; true'), /No such file/);
  });
});
