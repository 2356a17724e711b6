/**
 * The cgroup hand-off of a node that restarts under our feet (CI: `ENOENT ... /proc/<pid>/cgroup`
 * failed a warm-pool refill): retried on the node's current process, a bounded number of times, and
 * only when the process it read is gone.
 * Run: node --import tsx --test sandbox-server/src/engine/cgroups.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import { HAND_OFF_ATTEMPTS, delegateNodeCgroups, retryHandOff } from './cgroups.ts';

const enoent = Object.assign(new Error("ENOENT: no such file or directory, open '/proc/42197/cgroup'"), { code: 'ENOENT' });
const eperm = Object.assign(new Error('EPERM: operation not permitted, chown'), { code: 'EPERM' });
/** Above the kernel's highest pid_max (2^22): never a live process. */
const GONE_PID = 2 ** 22 + 1;

/** A Docker whose inspect answers each call with the next state (the last one repeats). */
function dockerAnswering(states: { Running: boolean; Pid: number }[]): { docker: Docker; inspections: () => number } {
  let calls = 0;
  const docker = {
    getContainer: () => ({ inspect: async () => ({ State: states[Math.min(calls++, states.length - 1)] }) }),
  } as unknown as Docker;
  return { docker, inspections: () => calls };
}

describe('cgroup hand-off of a node that restarted meanwhile', () => {
  it('retries only a vanished process, and only up to the last attempt', () => {
    assert.equal(retryHandOff(enoent, 1, false), true, 'the process it read is gone: try its new one');
    assert.equal(retryHandOff(enoent, HAND_OFF_ATTEMPTS - 1, false), true);
    assert.equal(retryHandOff(enoent, HAND_OFF_ATTEMPTS, false), false, 'bounded');
    assert.equal(retryHandOff(enoent, 1, true), false, 'the process is still there: a real error');
    assert.equal(retryHandOff(eperm, 1, false), false, 'not a missing file: a real error');
    assert.equal(retryHandOff(undefined, 1, false), false);
  });

  it("re-reads the node's pid: a node that restarted and is not running yet is left to the start watcher", async () => {
    const { docker, inspections } = dockerAnswering([
      { Running: true, Pid: GONE_PID },
      { Running: false, Pid: 0 },
    ]);
    assert.equal(await delegateNodeCgroups(docker, 'node', { uid: 100000, gid: 100000 }), 0);
    assert.equal(inspections(), 2, 'asked Docker again after the process vanished');
  });

  it('a node whose process keeps vanishing: the last error after the bounded attempts', async () => {
    const { docker, inspections } = dockerAnswering([{ Running: true, Pid: GONE_PID }]);
    await assert.rejects(delegateNodeCgroups(docker, 'node', { uid: 100000, gid: 100000 }), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
    assert.equal(inspections(), HAND_OFF_ATTEMPTS);
  });
});
