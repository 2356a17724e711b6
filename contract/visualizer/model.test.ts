import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { shortImage, toClusterState, type RawCluster } from './model.ts';

// Real answers of an inner engine (see the fixture's note), trimmed to what the model reads.
const sample = JSON.parse(readFileSync(new URL('./fixtures/swarm-sample.json', import.meta.url), 'utf8')) as Omit<RawCluster, 'source' | 'containers'> & {
  containers: NonNullable<RawCluster['containers']>['manager'];
};
const learnerNodes = [
  { name: 'manager', ip: '10.213.7.2' },
  { name: 'worker-1', ip: '10.213.7.3' },
  { name: 'worker-2', ip: '10.213.7.4' },
];
const raw = (extra: Partial<RawCluster> = {}): RawCluster => ({ ...sample, source: 'manager', containers: { manager: sample.containers }, ...extra });
const preview = (node: string, port: number) => `/p/${node}/${port}/`;

test('nodes: leader first, workers in order, tied to the learner nodes by address', () => {
  const s = toClusterState(raw(), { learnerNodes, ipvs: true, previewUrl: preview });
  assert.equal(s.swarm, 'active');
  assert.deepEqual(s.nodes.map((n) => [n.hostname, n.node, n.role, n.leader, n.status, n.availability]), [
    ['manager', 'manager', 'manager', true, 'ready', 'active'],
    ['worker-1', 'worker-1', 'worker', false, 'ready', 'active'],
    ['worker-2', 'worker-2', 'worker', false, 'ready', 'active'],
  ]);
  assert.deepEqual(s.outside, []);
  assert.equal(s.message, undefined);
});

test('services in creation order with image, mode, replicas and running count', () => {
  const s = toClusterState(raw(), { learnerNodes, ipvs: true });
  assert.deepEqual(
    s.services.map((x) => [x.name, x.image, x.replicas, x.running, x.endpointMode, x.order]),
    [
      ['web', 'flask_app:3.0', 1, 1, 'dnsrr', 0],
      ['app', 'flask_app:3.0', 1, 1, 'dnsrr', 1],
      ['ing', 'flask_app:3.0', 1, 1, 'vip', 2],
    ],
  );
  assert.deepEqual(s.services[1]!.ports, [{ published: 5000, target: 5000, protocol: 'tcp', mode: 'host' }]);
});

test('ports: host-mode on the node running the task, ingress on the source, plain containers; task containers not twice', () => {
  const s = toClusterState(raw(), { learnerNodes, ipvs: false, previewUrl: preview });
  assert.deepEqual(
    s.ports.map((p) => [p.node, p.port, p.target, p.kind, p.owner, p.url, !!p.problem]),
    [
      ['manager', 5000, 5000, 'host', 'app', '/p/manager/5000/', false],
      ['manager', 5001, 5000, 'ingress', 'ing', '/p/manager/5001/', true],
      ['manager', 8081, 5000, 'container', 'solo', '/p/manager/8081/', false],
    ],
  );
  assert.match(s.ports[1]!.problem!, /IPVS[\s\S]*docker service update --publish-rm 5000 --publish-add mode=host,target=5000,published=5001 ing$/);
  const withIpvs = toClusterState(raw(), { learnerNodes, ipvs: true, previewUrl: preview });
  assert.equal(withIpvs.ports[1]!.problem, undefined, 'with IPVS the mesh answers');
});

test('only tasks meant to run are drawn; unplaced tasks have no node', () => {
  const web = sample.services.find((s) => s.Spec?.Name === 'web')!;
  const tasks = [
    ...sample.tasks,
    { ID: 'old', ServiceID: web.ID, NodeID: sample.nodes[0]!.ID, Slot: 2, DesiredState: 'shutdown', Status: { State: 'running' } },
    { ID: 'waiting', ServiceID: web.ID, Slot: 3, DesiredState: 'running', Status: { State: 'pending', Err: 'no suitable node (scheduling constraints not satisfied on 3 nodes)' } },
    { ID: 'orphan', ServiceID: 'gone', NodeID: sample.nodes[0]!.ID, Slot: 1, DesiredState: 'running', Status: { State: 'running' } },
  ];
  const s = toClusterState(raw({ tasks }), { learnerNodes, ipvs: true });
  assert.equal(s.tasks.length, 4);
  const waiting = s.tasks.find((t) => t.id === 'waiting')!;
  assert.equal(waiting.nodeId, null);
  assert.match(waiting.error!, /no suitable node/);
  assert.ok(!s.tasks.some((t) => t.id === 'old' || t.id === 'orphan'));
});

test('no swarm, a worker as source, nothing answering', () => {
  const inactive = toClusterState(raw({ info: { Name: 'manager', Swarm: { LocalNodeState: 'inactive' } }, nodes: [], services: [], tasks: [] }), { learnerNodes, ipvs: true });
  assert.equal(inactive.swarm, 'inactive');
  assert.match(inactive.message!, /docker swarm init/);
  assert.deepEqual(inactive.outside, ['manager', 'worker-1', 'worker-2']);
  assert.equal(inactive.ports.length, 1, 'plain containers still publish ports');

  const worker = toClusterState(raw({ source: 'worker-1', info: { Swarm: { LocalNodeState: 'active', ControlAvailable: false } }, nodes: [], services: [], tasks: [] }), { learnerNodes, ipvs: true });
  assert.match(worker.message!, /worker/);

  const gone = toClusterState({ source: null, info: null, nodes: [], services: [], tasks: [] }, { learnerNodes, ipvs: true });
  assert.equal(gone.swarm, 'unreachable');
});

test('shortImage drops registry, library and digest, and adds nothing', () => {
  assert.equal(shortImage('flask_app:3.0@sha256:f42c6f8356d9f9a4591861274548717f5c96cf40ca3fc8e3121f3487bae7b735'), 'flask_app:3.0');
  assert.equal(shortImage('docker.io/library/mysql:5.7'), 'mysql:5.7');
  assert.equal(shortImage('docker.io/dockersamples/visualizer:latest@sha256:abc123'), 'dockersamples/visualizer:latest');
  assert.equal(shortImage('dockersamples/visualizer'), 'dockersamples/visualizer');
  assert.equal(shortImage('gw:5000/team/app:1'), 'gw:5000/team/app:1');
});
