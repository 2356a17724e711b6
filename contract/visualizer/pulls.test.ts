import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SwarmNodeView, SwarmTaskView } from '../protocol.ts';
import { pullsOf, pullText } from './pulls.ts';

const node = (id: string, name: 'manager' | 'worker-1' | 'worker-2'): SwarmNodeView => ({ id, hostname: name, node: name, role: name === 'manager' ? 'manager' : 'worker', status: 'ready', availability: 'active', leader: false });
const task = (id: string, nodeId: string | null, state: string, image = 'flask_app:3.0', desiredState = 'running'): SwarmTaskView => ({ id, serviceId: 's', nodeId, slot: 1, state, desiredState, image });

describe('pullsOf / pullText', () => {
  const nodes = [node('n0', 'manager'), node('n1', 'worker-1'), node('n2', 'worker-2')];

  it('names the nodes whose tasks are preparing (pulling), once per node and image', () => {
    const tasks = [task('a', 'n1', 'preparing'), task('b', 'n1', 'preparing'), task('c', 'n2', 'preparing'), task('d', 'n0', 'running'), task('e', 'n0', 'preparing', 'mysql:8')];
    const pulls = pullsOf(nodes, tasks);
    assert.deepEqual(pulls, [
      { node: 'manager', image: 'mysql:8' },
      { node: 'worker-1', image: 'flask_app:3.0' },
      { node: 'worker-2', image: 'flask_app:3.0' },
    ]);
    assert.equal(pullText(pulls), 'pulling mysql:8 on manager, flask_app:3.0 on worker-1 and worker-2 …');
  });

  it('says nothing when no task is preparing, or one is unplaced or being shut down', () => {
    const tasks = [task('a', 'n1', 'running'), task('b', null, 'pending'), task('c', 'n2', 'preparing', 'flask_app:3.0', 'shutdown'), task('d', 'nX', 'preparing')];
    assert.deepEqual(pullsOf(nodes, tasks), []);
    assert.equal(pullText([]), null);
  });
});
