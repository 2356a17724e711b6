/**
 * The live view judges a cluster only on answers: a busy engine is asked again, a silent manager is
 * not read as "no swarm".
 * Run: node --import tsx --test sandbox-server/src/checks/live-view.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import { ReadLimitError } from '../engine/bounded.ts';
import { evaluate } from './evaluate.ts';
import { LiveClusterView, type InnerEngines } from './live-view.ts';

const swarmManagerInfo = { Swarm: { LocalNodeState: 'active', ControlAvailable: true } };
const noSwarmInfo = { Swarm: { LocalNodeState: 'inactive', ControlAvailable: false } };
const reset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
const refused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

/** A view over nodes whose engines answer `info` with these replies, in turn (the last one repeats). */
function viewOf(replies: Record<string, Array<() => unknown>>): { view: LiveClusterView; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const engines = {
    of: (ip: string) => ({
      info: async () => {
        const list = replies[ip]!;
        const reply = list[Math.min(calls[ip] ?? 0, list.length - 1)]!;
        calls[ip] = (calls[ip] ?? 0) + 1;
        return reply();
      },
    }),
  } as unknown as InnerEngines;
  const nodes = Object.keys(replies).map((name) => ({ name, ip: name, containerId: name }));
  return { view: new LiveClusterView(nodes, engines, {} as Docker, false), calls };
}

describe('live cluster view', () => {
  it('asks a busy engine again before judging (a reset, then the answer)', async () => {
    const { view, calls } = viewOf({ manager: [() => { throw reset(); }, () => swarmManagerInfo], 'worker-1': [() => noSwarmInfo] });
    assert.equal(await view.swarmManager(), 'manager');
    assert.equal(calls.manager, 2);
  });

  it('takes a refusal or a timeout as the answer (an engine that is down is not asked twice)', async () => {
    const { view, calls } = viewOf({
      manager: [() => swarmManagerInfo],
      'worker-1': [() => { throw refused(); }],
      'worker-2': [() => { throw new ReadLimitError('/info: no complete answer within 10 s', 'time'); }],
    });
    assert.equal(await view.info('worker-1'), null);
    assert.equal(await view.info('worker-2'), null);
    assert.deepEqual([calls['worker-1'], calls['worker-2']], [1, 1]);
    assert.equal(await view.swarmManager(), 'manager');
  });

  it('says the manager did not answer instead of "there is no swarm yet"', async () => {
    const silent = viewOf({ manager: [() => { throw refused(); }], 'worker-1': [() => noSwarmInfo] }).view;
    const outcome = await evaluate({ nodes: { count: 3 } }, silent);
    assert.equal(outcome.passed, false);
    assert.match(outcome.message, /the Docker engine on manager did not answer/);
    assert.doesNotMatch(outcome.message, /no swarm yet/);
    // Control: a manager that answers "inactive" is told to start a swarm.
    const answered = viewOf({ manager: [() => noSwarmInfo], 'worker-1': [() => noSwarmInfo] }).view;
    assert.match((await evaluate({ nodes: { count: 3 } }, answered)).message, /there is no swarm yet/);
  });
});
