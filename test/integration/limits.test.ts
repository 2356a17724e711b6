/**
 * Limits no learner can lift, quotas no learner can spend for the others: probes typed into two
 * learners' root shells through the real WebSocket terminal, on the real learner engine. Each
 * protection is first shown to be what stops the probe: the same probe succeeds on a control (the
 * old full cgroup hand-off, re-created here for one moment; a plain container of the same engine).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type Docker from 'dockerode';
import { LABEL, labelFilter } from '../../sandbox-server/src/engine/labels.ts';
import { cgroupDirs } from '../../sandbox-server/src/engine/cgroups.ts';
import { confineStartedNode, NODE_USERNS_CAPS } from '../../sandbox-server/src/isolation/kernel-quotas.ts';
import { hashToken } from '../../sandbox-server/src/sessions/manager.ts';
import { Learner } from '../helpers/learner.ts';
import { removeInstance, startTestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

const PIDS = 256;
const MAX_CLUSTERS = 3;
/** Each probe writes a limit file's own value back: harmless, and it succeeds wherever the file is writable. */
const LIMIT_WRITES = ['pids/pids.max', 'cpu/cpu.cfs_quota_us', 'memory/memory.limit_in_bytes'].map((f) => `cat /sys/fs/cgroup/${f} > /sys/fs/cgroup/${f}`);
/** More processes than the node may have, held for a moment. */
const MANY_PROCESSES = `perl -e 'my @k; for (1..${PIDS + 50}) { my $p = fork; last unless defined $p; if (!$p) { sleep 30; exit 0 } push @k, $p } print "started ", scalar(@k), "\\n"; kill 9, @k; waitpid($_, 0) for @k'`;
/** Perl's syscall(): inotify_init1 (294) until refused; add_key (248) into the session keyring. */
const INOTIFY_UNTIL_REFUSED = (most: number, hold: string) =>
  `(perl -e 'my @fds; while (@fds < ${most}) { my $fd = syscall(294, 0); last if $fd < 0; push @fds, $fd } open(F, ">${hold}.tmp"); print F scalar(@fds), "\\n"; close F; rename("${hold}.tmp", "${hold}"); sleep 60' &)`;
const ADD_KEY = `perl -e 'my ($type, $desc, $value) = ("user", "probe", "v"); my $id = syscall(248, $type, $desc, $value, 1, -3); print $id < 0 ? "refused: $!\\n" : "key $id\\n"'`;

describe('limits no learner can lift, quotas no learner can spend for the others', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let alice: Learner;
  let bob: Learner;
  let control: Docker.Container | undefined;

  before(async () => {
    server = await startTestServer('limits', { SWB_WORKERS: '0', SWB_NODE_PIDS: String(PIDS), SWB_MAX_CLUSTERS: String(MAX_CLUSTERS) });
    [alice, bob] = await Promise.all([Learner.join(server.url), Learner.join(server.url)]);
    await Promise.all([alice.waitReady(), bob.waitReady()]);
    await Promise.all([alice.open('a', 'manager'), bob.open('b', 'manager')]);
  });

  after(async () => {
    alice?.close();
    bob?.close();
    await control?.remove({ force: true }).catch(() => undefined);
    await server?.close();
    if (server) await removeInstance(server.config.SWB_INSTANCE);
  });

  const docker = () => server.sandbox.nodes.docker;
  const owner = () => server.sandbox.nodes.engine.cgroupOwner!;
  /** Alice's node: its container id and its cgroup directories on the host. */
  async function aliceNode(): Promise<{ id: string; dirs: string[] }> {
    const nodes = await docker().listContainers({ filters: labelFilter(server.config.SWB_INSTANCE) });
    const cluster = server.sandbox.sessions.get(hashToken(alice.cookie.split('=')[1]!))!.cluster!.id;
    const id = nodes.find((n) => n.Labels[LABEL.cluster] === cluster)!.Id;
    const pid = (await docker().getContainer(id).inspect()).State.Pid;
    return { id, dirs: cgroupDirs(pid) };
  }

  test('writing the node\'s pids, CPU and memory limits fails (the old full hand-off let each through)', async () => {
    const refused = async () => {
      for (const write of LIMIT_WRITES) {
        const r = await alice.runWithCode('a', `(${write}) 2>&1`);
        assert.notEqual(r.code, 0, `"${write}" must be refused: ${r.output}`);
        assert.match(r.output, /Permission denied/);
      }
      const started = Number(/started (\d+)/.exec(await alice.run('a', MANY_PROCESSES, 120_000))![1]);
      assert.ok(started < PIDS, `at most ${PIDS} processes in the node: started ${started}`);
    };
    await refused();
    // The control: the old `chown -R` hand-off. Now the learner can lift the limit and go past it.
    const { id, dirs } = await aliceNode();
    for (const dir of dirs) for (const f of fs.readdirSync(dir)) fs.chownSync(`${dir}/${f}`, owner().uid, owner().gid);
    for (const write of LIMIT_WRITES) {
      const r = await alice.runWithCode('a', `(${write}) 2>&1`);
      assert.equal(r.code, 0, `control: "${write}" succeeds once the limit files are the node's: ${r.output}`);
    }
    await alice.run('a', 'echo max > /sys/fs/cgroup/pids/pids.max');
    assert.match(await alice.run('a', MANY_PROCESSES, 120_000), new RegExp(`started ${PIDS + 50}`), 'control: past the limit once lifted');
    // Delegated again (as after every start), with the limit the host set.
    fs.writeFileSync(`${dirs.find((d) => d.includes('/pids/'))!}/pids.max`, String(PIDS));
    await confineStartedNode(docker(), id, owner());
    await refused();
  });

  test('the kernel keyring answers ENOSYS in a node, and nested containers still start (a plain container of the same engine spends keys)', async () => {
    assert.match(await alice.run('a', ADD_KEY), /refused: Function not implemented/);
    const runs = await alice.runWithCode('a', 'for i in 1 2 3; do docker run --rm flask_app:2.0 true || exit 1; done && echo runs-ok', 180_000);
    assert.match(runs.output, /runs-ok/, `runc in the node skips its session keyring: ${runs.output}`);
    // The control: the same uid, without the node's seccomp profile, adds a key to the quota every node shares.
    const image = (await docker().getContainer((await aliceNode()).id).inspect()).Config.Image;
    control = await docker().createContainer({ Image: image, Entrypoint: ['sh', '-c', ADD_KEY], HostConfig: { SecurityOpt: ['seccomp=unconfined'] } });
    await control.start();
    await control.wait();
    const log = (await control.logs({ stdout: true, stderr: true })).toString('utf8');
    assert.match(log, /key \d+/, `control: the probe can spend a key: ${log}`);
  });

  test(`inotify instances stop at the node's own ${NODE_USERNS_CAPS.max_inotify_instances}, and another learner still gets theirs (a plain container goes past)`, async () => {
    const cap = NODE_USERNS_CAPS.max_inotify_instances;
    await alice.run('a', `rm -f /tmp/held; ${INOTIFY_UNTIL_REFUSED(cap * 4, '/tmp/held')}`);
    await waitFor(async () => /^\d+/.test(await alice.run('a', 'cat /tmp/held 2>/dev/null; true')), 60_000, 'alice\'s inotify instances');
    const held = Number(await alice.run('a', 'cat /tmp/held'));
    assert.ok(held > 0 && held <= cap, `alice holds ${held} (the cap is ${cap})`);
    await bob.run('b', `rm -f /tmp/held; ${INOTIFY_UNTIL_REFUSED(cap, '/tmp/held')}`);
    await waitFor(async () => /^\d+/.test(await bob.run('b', 'cat /tmp/held 2>/dev/null; true')), 60_000, 'bob\'s inotify instances');
    assert.ok(Number(await bob.run('b', 'cat /tmp/held')) >= cap / 2, 'bob still gets inotify instances while alice holds her share');
    // The control: the same engine's container without the node's cap goes past it.
    const image = (await docker().getContainer((await aliceNode()).id).inspect()).Config.Image;
    const probe = await docker().createContainer({ Image: image, Entrypoint: ['sh', '-c', `${INOTIFY_UNTIL_REFUSED(cap + 10, '/tmp/held')}; while [ ! -f /tmp/held ]; do sleep 0.1; done; cat /tmp/held`] });
    try {
      await probe.start();
      await probe.wait();
      const log = (await probe.logs({ stdout: true })).toString('utf8');
      assert.match(log, new RegExp(`${cap + 10}`), `control: past the cap without it: ${log}`);
    } finally {
      await probe.remove({ force: true });
    }
  });
  test(`with every other learner busy at their caps, the last of SWB_MAX_CLUSTERS=${MAX_CLUSTERS} clusters starts and runs a container`, async () => {
    // Scaled down: 3 one-node clusters, each learner holding its inotify share, containers and key attempts.
    const busy = `${INOTIFY_UNTIL_REFUSED(NODE_USERNS_CAPS.max_inotify_instances, '/tmp/busy')}; ${ADD_KEY}; for i in 1 2 3; do docker run -d flask_app:2.0 sleep 300 >/dev/null || exit 1; done; echo busy-ok`;
    await Promise.all([alice.run('a', busy, 180_000), bob.run('b', busy, 180_000)].map(async (r) => assert.match(await r, /busy-ok/)));
    const carol = await Learner.join(server.url);
    try {
      await carol.waitReady();
      await carol.open('c', 'manager');
      const r = await carol.runWithCode('c', 'docker run --rm flask_app:2.0 echo carol-ok', 180_000);
      assert.match(r.output, /carol-ok/, r.output);
    } finally {
      carol.close();
    }
  });

  // Last: a fork bomb may take the node's own dockerd down with it (Go aborts when it cannot make a
  // thread), and the node then restarts: the learner's own problem, nobody else's.
  test('a fork bomb in one node stops at its pids limit; another learner\'s shell echoes and their docker run starts', async () => {
    const { dirs } = await aliceNode();
    const pidsDir = dirs.find((d) => d.includes('/pids/'))!;
    const freezerDir = dirs.find((d) => d.includes('/freezer/'))!;
    const read = (file: string) => {
      try {
        return fs.readFileSync(file, 'utf8');
      } catch {
        return ''; // the node restarted
      }
    };
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, Number(read(`${pidsDir}/pids.current`)) || 0)), 20);
    try {
      // In a group of its own below the node (the node owns its subtree), so the host can stop it after.
      alice.type('a', 'mkdir -p /sys/fs/cgroup/pids/bomb /sys/fs/cgroup/freezer/bomb && sh -c \'echo $$ > /sys/fs/cgroup/pids/bomb/cgroup.procs && echo $$ > /sys/fs/cgroup/freezer/bomb/cgroup.procs && exec bash -c "b() { b | b & }; b"\'\r');
      await waitFor(() => most >= PIDS - 10, 60_000, 'the fork bomb filling the node\'s pids');
      const started = Date.now();
      assert.match(await bob.run('b', 'echo bob-alive', 30_000), /bob-alive/);
      console.log(`# bystander echo during the fork bomb: ${Date.now() - started} ms`);
      const inner = await bob.runWithCode('b', 'docker run --rm flask_app:2.0 echo inner-ok', 180_000);
      assert.match(inner.output, /inner-ok/, `the bystander's docker run starts: ${inner.output}`);
      assert.ok(most <= PIDS, `the node never held more than its ${PIDS} pids: ${most}`);
      console.log(`# the bombed node held at most ${most} pids (limit ${PIDS})`);
    } finally {
      clearInterval(sampler);
      if (read(`${freezerDir}/bomb/freezer.state`)) {
        fs.writeFileSync(`${freezerDir}/bomb/freezer.state`, 'FROZEN');
        for (const pid of read(`${pidsDir}/bomb/cgroup.procs`).split('\n').filter(Boolean)) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // gone already
          }
        }
        fs.writeFileSync(`${freezerDir}/bomb/freezer.state`, 'THAWED');
      }
    }
    await waitFor(() => read(`${pidsDir}/bomb/cgroup.procs`).trim() === '', 30_000, 'the bomb stopped');
  });
});
