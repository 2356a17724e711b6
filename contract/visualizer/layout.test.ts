import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterState, SwarmServiceView, SwarmTaskView } from '../protocol.ts';
import { describeChanges, layoutCluster, serviceHue } from './layout.ts';

const node = (id: string, hostname: string, extra: Partial<ClusterState['nodes'][number]> = {}) => ({
  id, hostname, role: 'worker' as const, status: 'ready', availability: 'active', leader: false, ...extra,
});
const service = (id: string, name: string, order: number): SwarmServiceView => ({
  id, name, image: `${name}:1`, mode: 'replicated', replicas: 1, running: 1, endpointMode: 'vip', ports: [], constraints: [], order,
});
const task = (id: string, serviceId: string, nodeId: string | null, slot: number, state = 'running', extra: Partial<SwarmTaskView> = {}): SwarmTaskView => ({
  id, serviceId, nodeId, slot, state, desiredState: 'running', image: '', ...extra,
});
const cluster = (tasks: SwarmTaskView[], nodes = [node('m', 'manager', { role: 'manager', leader: true }), node('w1', 'worker-1'), node('w2', 'worker-2', { availability: 'drain' })]): ClusterState => ({
  swarm: 'active', source: 'manager', nodes, outside: [], services: [service('s-web', 'web', 0), service('s-db', 'database', 1)], tasks, ports: [],
});

test('a column per node with its tasks, sorted by service then slot; unplaced tasks get their own column', () => {
  const layout = layoutCluster(cluster([task('a', 's-web', 'w1', 2), task('b', 's-web', 'w1', 1), task('c', 's-db', 'w1', 1), task('d', 's-web', null, 3, 'pending', { error: 'no suitable node' })]));
  assert.deepEqual(layout.columns.map((c) => [c.title, c.healthy, c.tasks.map((t) => t.label)]), [
    ['manager', true, []],
    ['worker-1', true, ['database.1', 'web.1', 'web.2']],
    ['worker-2', false, []],
    ['not placed', false, ['web.3']],
  ]);
  const unplaced = layout.columns[3]!.tasks[0]!;
  assert.equal(unplaced.tone, 'failed');
  assert.equal(unplaced.note, 'no suitable node');
  assert.equal(layout.columns[0]!.summary, 'manager · leader · ready · active');
  assert.equal(layout.columns[1]!.tasks[1]!.image, 'web:1', 'falls back to the service image');
});

test('colours follow creation order: a new service never recolours the others', () => {
  const hues = [0, 1, 2, 3, 4, 5].map(serviceHue);
  assert.equal(new Set(hues).size, hues.length);
  for (let i = 1; i < hues.length; i++) {
    const d = Math.abs(hues[i]! - hues[i - 1]!) % 360;
    assert.ok(Math.min(d, 360 - d) > 60, `neighbours far apart on the wheel (${hues[i - 1]} vs ${hues[i]})`);
  }
  const layout = layoutCluster(cluster([task('a', 's-web', 'm', 1)]));
  assert.deepEqual(layout.legend.map((l) => [l.service.name, l.hue, l.tasks]), [['web', serviceHue(0), 1], ['database', serviceHue(1), 0]]);
});

test('100 tasks switch to compact boxes', () => {
  const many = Array.from({ length: 100 }, (_, i) => task(`t${i}`, 's-web', ['m', 'w1', 'w2'][i % 3]!, i + 1));
  const layout = layoutCluster(cluster(many));
  assert.equal(layout.compact, true);
  assert.equal(layout.columns.reduce((n, c) => n + c.tasks.length, 0), 100);
  assert.equal(layoutCluster(cluster(many.slice(0, 10))).compact, false);
});

test('changes read as sentences for screen readers', () => {
  const before = cluster([task('a', 's-web', 'm', 1), task('b', 's-web', 'w1', 2, 'preparing'), task('c', 's-web', 'w2', 3)]);
  const after = cluster([task('a', 's-web', 'm', 1), task('b', 's-web', 'w1', 2, 'running'), task('d', 's-db', 'w1', 1, 'assigned')]);
  assert.deepEqual(describeChanges(before, after), ['web.2 on worker-1 is running', 'database.1 added on worker-1 (assigned)', 'web.3 removed from worker-2']);
  assert.deepEqual(describeChanges(null, after), []);
});
