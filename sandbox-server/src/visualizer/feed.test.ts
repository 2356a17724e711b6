import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReadLimitError } from '../engine/bounded.ts';
import type { InnerApi } from '../engine/inner-api.ts';
import type { ClusterEvents, InnerEventsListener } from '../engine/inner-events.ts';
import type { ClusterState } from '@contract/protocol.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import { ClusterStateFeed } from './feed.ts';

/** An engine that answers from plain data (what a manager's API would say), and can fail. */
function fakeEngine(data: { services: object[]; fail?: boolean; noLeader?: boolean; hostile?: boolean }, calls: { reads: number }) {
  const answer = <T>(v: T) => (data.fail ? Promise.reject(new Error('connect EHOSTUNREACH')) : Promise.resolve(v));
  return {
    info: () => answer({ Swarm: { LocalNodeState: 'active', ControlAvailable: true } }),
    listContainers: () => (data.hostile ? Promise.reject(new ReadLimitError('answer larger than 8 MiB', 'size')) : answer([])),
    listNodes: () => {
      calls.reads++;
      if (data.noLeader) return Promise.reject(new Error('The swarm does not have a leader'));
      return answer([{ ID: 'n1', Spec: { Role: 'manager', Availability: 'active' }, Description: { Hostname: 'manager' }, Status: { State: 'ready', Addr: '10.0.0.2' }, ManagerStatus: { Leader: true } }]);
    },
    listServices: () => answer(data.services),
    listTasks: () => answer([]),
  } as unknown as InnerApi;
}

function fakeEvents() {
  const listeners = new Set<InnerEventsListener>();
  const events = { subscribe: (l: InnerEventsListener) => (listeners.add(l), () => listeners.delete(l)) } as unknown as ClusterEvents;
  return { events, emit: (type: string, action: string) => listeners.forEach((l) => l({ kind: 'event', event: { node: 'manager', type, action, id: 'x', attributes: {}, time: 0 } })), listeners };
}

test('pushes the state once, again only when it changed; events are debounced; nobody watching = no streams', async () => {
  const data = { services: [] as object[] };
  const calls = { reads: 0 };
  const { events, emit, listeners } = fakeEvents();
  const feed = new ClusterStateFeed({ clusterId: 'c1', nodes: [{ name: 'manager', ip: '10.0.0.2' }], events, engineFor: () => fakeEngine(data, calls), ipvs: true, debounceMs: 30 });
  const seen: ClusterState[] = [];
  const stop = feed.subscribe((s) => seen.push(s));
  await waitFor(() => seen.length === 1, 2_000, 'first state');
  assert.equal(seen[0]!.nodes[0]!.node, 'manager');

  // A burst of events: one read; same answer: nothing pushed.
  for (let i = 0; i < 5; i++) emit('container', 'start');
  emit('container', 'exec_start'); // never relevant
  await waitFor(() => calls.reads === 2, 2_000, 'one read for the burst');
  await sleep(80);
  assert.equal(calls.reads, 2);
  assert.equal(seen.length, 1, 'unchanged state is not pushed again');

  data.services = [{ ID: 's1', CreatedAt: '2026-01-01T00:00:00Z', Spec: { Name: 'web', Mode: { Replicated: { Replicas: 1 } }, TaskTemplate: { ContainerSpec: { Image: 'flask_app:3.0' } } } }];
  emit('service', 'create');
  await waitFor(() => seen.length === 2, 2_000, 'changed state pushed');
  assert.equal(seen[1]!.services[0]!.name, 'web');

  // A second listener gets the current state at once, without a read.
  const late: ClusterState[] = [];
  const stopLate = feed.subscribe((s) => late.push(s));
  assert.equal(late.length, 1);
  stop();
  stopLate();
  assert.equal(listeners.size, 0, 'event subscription dropped with the last listener');
});

test('a failed read is retried while someone watches', async () => {
  const data = { services: [] as object[], fail: true };
  const calls = { reads: 0 };
  const { events } = fakeEvents();
  const feed = new ClusterStateFeed({ clusterId: 'c2', nodes: [{ name: 'manager', ip: '10.0.0.2' }], events, engineFor: () => fakeEngine(data, calls), ipvs: true });
  const seen: ClusterState[] = [];
  const stop = feed.subscribe((s) => seen.push(s));
  await sleep(100);
  assert.equal(seen.length, 1, 'nothing answers: the picture says unreachable');
  assert.equal(seen[0]!.swarm, 'unreachable');
  data.fail = false;
  await waitFor(() => seen.some((s) => s.swarm === 'active'), 5_000, 'recovered without a new event');
  stop();
  feed.close();
});

test('a manager without a leader yet (just restarted): the read is retried without a new event', async () => {
  const data = { services: [] as object[], noLeader: true };
  const calls = { reads: 0 };
  const { events } = fakeEvents();
  const feed = new ClusterStateFeed({ clusterId: 'c3', nodes: [{ name: 'manager', ip: '10.0.0.2' }], events, engineFor: () => fakeEngine(data, calls), ipvs: true });
  const seen: ClusterState[] = [];
  const stop = feed.subscribe((s) => seen.push(s));
  await waitFor(() => calls.reads >= 2, 3_000, 'a second attempt');
  assert.equal(seen.length, 0);
  data.noLeader = false;
  await waitFor(() => seen.length === 1, 5_000, 'the picture once the swarm answers');
  stop();
});

test('a node whose API breaks a read limit is named in the picture\'s message until it behaves again', async () => {
  const data = { services: [] as object[], hostile: true };
  const calls = { reads: 0 };
  const { events, listeners } = fakeEvents();
  const feed = new ClusterStateFeed({ clusterId: 'c4', nodes: [{ name: 'manager', ip: '10.0.0.2' }], events, engineFor: () => fakeEngine(data, calls), ipvs: true, debounceMs: 10 });
  const states: ClusterState[] = [];
  feed.subscribe((s) => states.push(s));
  await waitFor(() => states.length > 0, 2_000, 'a first picture');
  assert.match(states.at(-1)!.message ?? '', /manager \(reads\): answer larger than 8 MiB/);
  listeners.forEach((l) => l({ kind: 'lost', node: 'manager', error: 'an event line longer than 64 KiB', misbehaved: true }));
  await waitFor(() => /manager \(events\): an event line longer/.test(states.at(-1)!.message ?? ''), 2_000, 'the stream problem is told');
  data.hostile = false;
  listeners.forEach((l) => l({ kind: 'resync', node: 'manager' }));
  await waitFor(() => !/limits/.test(states.at(-1)!.message ?? ''), 2_000, 'the note goes once the node behaves', () => states.at(-1)!.message ?? '');
  feed.close();
});
