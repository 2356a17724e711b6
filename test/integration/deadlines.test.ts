/**
 * Root in a node can bind-mount a binary that never returns over the node's own `timeout` (or
 * bash, or kill). Every exec the server runs in a node has a server-side deadline: a class fault
 * and Apply solution give up in words by then, the hung process is ended from the host, and the
 * shared slots are free for the next call. The control shows the same exec, without the server's
 * deadline, really hangs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type Docker from 'dockerode';
import { runStep, runSteps } from '../../sandbox-server/src/checks/apply.ts';
import { demux, killExec } from '../../sandbox-server/src/engine/node-exec.ts';
import { createLogger } from '../../sandbox-server/src/log.ts';
import type { LearnerSession } from '../../sandbox-server/src/sessions/manager.ts';
import { ClassFaults } from '../../sandbox-server/src/workshops/faults.ts';
import type { FaultStatus } from '@contract/workshop.ts';
import { Learner } from '../helpers/learner.ts';
import { removeInstance, startTestServer } from '../helpers/server.ts';
import { waitFor, withSlack } from '../helpers/wait.ts';

const DEADLINE_MS = 3000;
/** A sleep only this test starts: its processes are found (and must be gone) by this number. */
const MARK = '86399';

/** A plain exec with no deadline of ours: what the server did before. `ended` resolves when it ended, with its output. */
async function rawExec(container: Docker.Container, cmd: string[]): Promise<{ exec: Docker.Exec; ended: Promise<string> }> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = (await exec.start({ hijack: true, stdin: false })) as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { exec, ended: new Promise((resolve) => (stream.on('end', () => resolve(demux(Buffer.concat(chunks)).toString())), stream.on('close', () => resolve('')))) };
}

/** How many of this test's hanging processes run in the node (counted with the node's untouched pgrep). */
async function hangs(container: Docker.Container): Promise<number> {
  const out = await (await rawExec(container, ['sh', '-c', `pgrep -f 'slee[p] ${MARK}' | wc -l`])).ended;
  return Number(out.trim());
}

describe('deadlines on execs in nodes', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let session: LearnerSession;
  let manager: Docker.Container;
  const faults = new ClassFaults({ log: createLogger('pretty', {}, 'error'), execDeadlineMs: DEADLINE_MS, pollMs: 500, healTimeoutMs: 5000 });

  before(async () => {
    server = await startTestServer('deadlines', { SWB_WORKERS: '0' });
    const learner = await Learner.join(server.url);
    await learner.waitReady();
    session = server.sandbox.sessions.resolve(learner.cookie.split('=')[1])!;
    assert.ok(session?.cluster, 'the learner has a cluster');
    manager = session.cluster.container('manager')!;
    // A swarm, so a class fault gets as far as the node's exec; then the hang over `timeout`.
    const init = await runStep(manager, 'docker swarm init --advertise-addr eth0 >/dev/null && echo swarm', 60, { node: 'manager' });
    assert.equal(init.exitCode, 0, init.output);
    const hang = await runStep(
      manager,
      `printf '#!/bin/sh\\nexec sleep ${MARK}\\n' > /root/hang && chmod +x /root/hang && mount --bind /root/hang "$(command -v timeout)" && echo mounted`,
      30,
      { node: 'manager' },
    );
    assert.match(hang.output, /mounted/);
  });
  after(async () => {
    faults.close();
    await server?.close();
    if (server) await removeInstance(server.config.SWB_INSTANCE);
  });

  test('control: without the server deadline, the exec hangs past it', async () => {
    const { exec, ended } = await rawExec(manager, ['timeout', '5', 'bash', '-c', 'true']);
    const finished = await Promise.race([ended.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), DEADLINE_MS * 2))]);
    assert.equal(finished, false, 'the node’s own timeout would have ended it within 5 s: the hang is real');
    assert.equal(await killExec(exec, manager.id), true, 'the host ends it');
    await waitFor(async () => (await hangs(manager)) === 0, 10_000, 'the control hang ended');
  });

  test('a class fault gives up in words at the deadline, ends the hang, and the next one is not blocked', async () => {
    const statuses: FaultStatus[] = [];
    const fire = async (learnerId: string): Promise<{ ms: number; status: FaultStatus }> => {
      const t0 = Date.now();
      faults.fire([{ learnerId, session }], { kind: 'stopEngine', node: 'manager', seconds: 10 }, () => {});
      await waitFor(() => faults.status(learnerId)?.state === 'skipped' || faults.status(learnerId)?.state === 'healing', DEADLINE_MS + 30_000, 'the fault to end');
      const status = faults.status(learnerId)!;
      statuses.push(status);
      return { ms: Date.now() - t0, status };
    };
    const first = await fire('ada');
    console.log(`class fault on a hung node: skipped after ${first.ms} ms (deadline ${DEADLINE_MS} ms)`);
    assert.equal(first.status.state, 'skipped');
    assert.match(first.status.message ?? '', /^the class fault could not finish on manager: `pkill -STOP -x dockerd` did not finish on manager within 3 s; it was ended$/);
    assert.ok(first.ms < withSlack(DEADLINE_MS + 3000), `within the deadline plus slack (${first.ms} ms)`);
    // Five at once: more than the four slots. Each is freed at its deadline, so all end within two deadlines.
    const t0 = Date.now();
    const many = await Promise.all(['b1', 'b2', 'b3', 'b4', 'b5'].map((id) => fire(id)));
    const ms = Date.now() - t0;
    console.log(`five class faults on the hung node, four slots: all ended after ${ms} ms`);
    for (const m of many) assert.equal(m.status.state, 'skipped', m.status.message);
    assert.ok(ms < withSlack(2 * DEADLINE_MS + 5000), `no slot stays taken (${ms} ms)`);
    await waitFor(async () => (await hangs(manager)) === 0, 10_000, 'every hung exec ended from the host');
  });

  test('Apply solution gives up at the deadline and runs no more steps; output is capped', async () => {
    const t0 = Date.now();
    const steps = await runSteps((n) => session.cluster!.container(n), [
      { node: 'manager', run: 'echo first' },
      { node: 'manager', run: 'echo second' },
    ], { deadlineMs: DEADLINE_MS });
    const ms = Date.now() - t0;
    console.log(`Apply solution on a hung node: returned after ${ms} ms`);
    assert.ok(ms < withSlack(DEADLINE_MS + 3000), `${ms} ms`);
    assert.equal(steps[0]!.exitCode, null);
    assert.match(steps[0]!.output, /could not run it: `echo first` did not finish on manager within 3 s; it was ended/);
    assert.match(steps[1]!.output, /not run: an earlier step did not finish/);
    await waitFor(async () => (await hangs(manager)) === 0, 10_000, 'the hung step ended from the host');

    // The learner's `timeout` back: the node runs solutions again, and a flood of output is cut off.
    const umount = await rawExec(manager, ['sh', '-c', 'umount "$(command -v timeout)"']);
    await umount.ended;
    assert.equal((await runStep(manager, 'echo ok', 10, { node: 'manager' })).output.trim(), 'ok');
    await assert.rejects(runStep(manager, 'head -c 6000000 /dev/zero', 30, { node: 'manager' }), /printed more than 4 MiB on manager; it was ended/);
  });
});
